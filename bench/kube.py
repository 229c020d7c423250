"""The kube row of `make bench`: on the kube bed (extensions/kube-bed), the guide's Kubernetes steps by hand
(bench/kube_by_hand.sh: kind create cluster, kind load, helm install x2, port-forward, ray job submit) against
site.yml with inventory/kind.yml and the bed's overrides (smoke only), each on a fresh kind cluster; then a second
site.yml, which has nothing to do. The by-hand cluster runs without token authentication, as the guide's does."""

import json
import os
import subprocess
import sys

import yaml

from run import BIN, PROFILE_ENV, PROJECT, changed_count, env, fresh_run_id, slowest_tasks, timed

sys.path.insert(0, str(PROJECT))
from tests.kube.test_kind import BED, RUN, missing_tools  # noqa: E402


def kube_against_by_hand():
    reason = missing_tools()
    if reason:
        return {"skipped": reason}
    os.environ.setdefault("DOCKER_HOST", f"unix://{RUN}/docker.sock")  # the bed's dockerd, for kind
    overrides = subprocess.run([str(BED), "up"], check=True, capture_output=True, text=True, env=env(),
                               timeout=3600).stdout.strip().splitlines()[-1]
    try:
        _unused, by_hand_stdout = timed(["bash", str(PROJECT / "bench" / "kube_by_hand.sh"), overrides], timeout=3600)
        site_vars = {**yaml.safe_load(open(overrides)), "raybook_workloads": ["smoke"],
                     "raybook_run_id": fresh_run_id("bench-kube")}
        playbook = [str(BIN / "ansible-playbook"), "-i", "inventory/kind.yml", "site.yml", "-e", json.dumps(site_vars)]
        first = timed(playbook, extra_env=PROFILE_ENV, timeout=3600)
        second = timed(playbook, extra_env=PROFILE_ENV, timeout=3600)
        timed([str(BIN / "ansible-playbook"), "-i", "inventory/kind.yml", "playbooks/down.yml", "-e", json.dumps(site_vars)],
              timeout=3600)
    finally:
        subprocess.run([str(BED), "down"], check=False, capture_output=True, env=env(), timeout=600)
    return kube_figures(float(by_hand_stdout.split()[-1]), first, second)


def kube_figures(by_hand_s, first_run, second_run):
    """The kube row from the hand steps' seconds and site.yml's two runs, each (seconds, profiled stdout)."""
    site_s, site_stdout = first_run
    second_s, second_stdout = second_run
    return {"by_hand_s": by_hand_s, "site_s": site_s, "ratio": site_s / by_hand_s,
            "site_slowest_tasks": slowest_tasks(site_stdout), "second_site_s": second_s,
            "second_site_changed": changed_count(second_stdout), "second_site_slowest_tasks": slowest_tasks(second_stdout)}
