"""A stand-in for the helm binary, for kubernetes.core's helm modules: no chart repository can be reached on the
test machine, so this keeps releases in a JSON file instead of installing anything. It answers the commands the
modules run (version, list, get, show chart, plugin list, upgrade -i, uninstall) and appends each command to the
file's "calls", so that a test sees what helm was asked to do. Use: fake_helm.py STATE_FILE HELM_ARGS..."""

import json
import os
import shlex
import sys
from pathlib import Path

import yaml


def chart_version(args):
    return next((arg.split("=", 1)[1] for arg in args if arg.startswith("--version=")), "1.0.0")


def main(state_path, args):
    state = json.loads(state_path.read_text()) if state_path.exists() else {"releases": {}, "calls": []}
    state["calls"].append(shlex.join(args))
    releases = state["releases"]
    positional = [arg for arg in args if not arg.startswith("-")]
    command = positional[:2]
    try:
        if args[:1] == ["version"]:
            print('version.BuildInfo{Version:"v3.17.3", GitCommit:"", GitTreeState:"clean", GoVersion:"go1.23"}')
        elif command[:1] == ["list"]:
            name = args[args.index("--filter") + 1]
            print(yaml.safe_dump([releases[name]["listing"]] if name in releases else []))
        elif command == ["get", "values"]:
            print(yaml.safe_dump(releases[positional[2]]["values"]))
        elif command[:1] == ["get"]:
            print("")
        elif command == ["show", "chart"]:
            version = chart_version(args)
            print(yaml.safe_dump({"apiVersion": "v2", "name": "kuberay-operator", "version": version, "appVersion": version}))
        elif command == ["plugin", "list"]:
            print("NAME\tVERSION\tDESCRIPTION")
        elif command[:1] == ["upgrade"]:
            name, version = positional[-2], chart_version(args)  # upgrade -i ... RELEASE CHART
            values = {}
            for arg in args:
                if arg.startswith("-f="):
                    values.update(yaml.safe_load(Path(arg[3:]).read_text()) or {})
            revision = releases.get(name, {}).get("listing", {}).get("revision", 0) + 1
            releases[name] = {"values": values, "listing": {
                "name": name, "namespace": os.environ.get("HELM_NAMESPACE", "default"), "revision": revision,
                "status": "deployed", "chart": "kuberay-operator-" + version, "app_version": version, "updated": "2026-11-26 00:00:00 +0000 UTC"}}
        elif command[:1] == ["uninstall"]:
            releases.pop(positional[-1])
        else:
            print("fake helm: unknown command %s" % shlex.join(args), file=sys.stderr)
            return 1
    finally:
        state_path.write_text(json.dumps(state))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
