"""Stand-ins for the docker and kind binaries of a kind host, for the kind_cluster role: no kind cluster can run on
the test machine and no registry can be reached, so this keeps images (a registry's, the host's, the kind node's) as
name -> image ID in a JSON file. It answers what the role runs (docker image inspect/pull/tag/exec crictl
inspecti, kind get clusters/create cluster/load docker-image) and appends each command to the file's "calls".
Use: fake_kind_host.py STATE_FILE docker|kind ARGS..."""

import json
import shlex
import sys
from pathlib import Path


def docker(state, args):
    if args[:2] == ["image", "inspect"]:
        found = [{"Id": state["host"][ref], "RepoTags": [ref]} for ref in args[2:] if ref in state["host"]]
        print(json.dumps(found))
        if len(found) < len(args) - 2:
            print("Error: No such image", file=sys.stderr)
            return 1
    elif args[0] == "pull":
        if args[1] not in state["registry"]:
            print("Error response from daemon: manifest unknown", file=sys.stderr)
            return 1
        state["host"][args[1]] = state["registry"][args[1]]
    elif args[0] == "tag":
        state["host"][args[2]] = state["host"][args[1]]
    elif args[0] == "exec" and args[2:5] == ["crictl", "inspecti", "-q"]:
        if args[5] not in state["node"]:
            print("no such image", file=sys.stderr)
            return 1
        print(json.dumps({"status": {"id": state["node"][args[5]], "repoTags": [args[5]]}}))
    else:
        return unknown(args)
    return 0


def kind(state, args):
    if args[:2] == ["get", "clusters"]:
        print("\n".join(state["clusters"]))
    elif args[:2] == ["create", "cluster"]:
        state["clusters"].append(args[args.index("--name") + 1])
    elif args[:2] == ["load", "docker-image"]:
        state["node"][args[-1]] = state["host"][args[-1]]
    else:
        return unknown(args)
    return 0


def unknown(args):
    print("fake kind host: unknown command %s" % shlex.join(args), file=sys.stderr)
    return 1


def main(state_path, tool, args):
    state = json.loads(state_path.read_text())
    state["calls"].append(shlex.join([tool, *args]))
    try:
        return {"docker": docker, "kind": kind}[tool](state, args)
    finally:
        state_path.write_text(json.dumps(state, indent=1))


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3:]))
