"""The fleet rows of `make bench`: site.yml over three fresh hosts reached over SSH (the fleet test bed,
extensions/molecule/tooling/fleet.sh) against the same site.yml on one fresh host of that bed, and against the same
steps by hand over the three (bench/fleet_by_hand.sh); then a second site.yml over the three.

Each run gets freshly made hosts; Ray comes from the bed's pip mirror for all of them. The bed's hosts share this
machine's cores, so each is made a machine of one size: the controller and the three Ray hosts get an equal share of
the cores each (docker update --cpus on the hosts), and a host alone does not get the others' cores for itself.
Ray would read such a share as 0 CPUs (it rounds the container's quota down), so every side says how many CPUs its
Ray nodes offer: the same two in all, on the head alone or on the two workers (the head coordinates only)."""

import json
import os
import sys
import tempfile
from contextlib import contextmanager

from run import BIN, PROFILE_ENV, PROJECT, changed_count, fresh_run_id, slowest_tasks, timed

sys.path.insert(0, str(PROJECT))
from tests.fleet.bed import BED_DIR, Bed, missing_tools  # noqa: E402


# The workloads the hand script runs too.
WORKLOADS = ["train", "infer", "serve"]
RAY_HOSTS = ("head", "worker1", "worker2")
# The controller is the fourth machine of the VM.
HOST_CORES = "%.2f" % (os.cpu_count() / (len(RAY_HOSTS) + 1))
# The Ray CPUs of the cluster: the one node offers them all, each worker half.
CLUSTER_CPUS = 2
WORKER_CPUS = CLUSTER_CPUS // 2


@contextmanager
def fresh_bed():
    """The bed, freshly made, each Ray host held to HOST_CORES; removed afterwards."""
    bed = Bed.up()
    try:
        bed.docker("update", "--cpus", HOST_CORES, *(bed.containers[host] for host in RAY_HOSTS))
        yield bed
    finally:
        Bed.down()


def fleet_against_one_node_and_by_hand():
    reason = missing_tools()
    if reason:
        return {"skipped": reason}
    with fresh_bed():
        by_hand, _unused = timed(["bash", str(PROJECT / "bench" / "fleet_by_hand.sh"), str(BED_DIR / "bed.json"),
                                  str(WORKER_CPUS)], timeout=3600)
    # Alone, the head does the work too.
    [one_node] = site_on_a_fresh_bed(workers=(), head={"ray_node_num_cpus": CLUSTER_CPUS})
    worker_vars = {"ray_node_num_cpus": WORKER_CPUS}
    fleet, second = site_on_a_fresh_bed(workers=("worker1", "worker2"), twice=True, worker1=worker_vars, worker2=worker_vars)
    return fleet_figures(by_hand, one_node, fleet, second)


def site_on_a_fresh_bed(workers, twice=False, **overrides_by_host):
    """site.yml (with profile_tasks) on the bed's head and `workers`, freshly made (their variables changed by
    overrides_by_host): [(seconds, stdout)] of the run, and of a second one when `twice`."""
    with fresh_bed() as bed, tempfile.TemporaryDirectory(prefix="raybook-bench-fleet-") as folder:
        inventory = str(bed.write_inventory(folder, workers=workers, **overrides_by_host))
        site_vars = {"raybook_workloads": WORKLOADS, "raybook_run_id": fresh_run_id("bench-fleet")}
        playbook = [str(BIN / "ansible-playbook"), "-i", inventory, "site.yml", "-e", json.dumps(site_vars)]
        return [timed(playbook, extra_env=PROFILE_ENV, timeout=3600) for _unused in range(2 if twice else 1)]


def fleet_figures(by_hand_s, one_node_run, fleet_run, second_run):
    """The fleet row from its runs, each (seconds, profiled stdout): site.yml over three hosts against one, and
    against the hand script."""
    site_s, site_stdout = fleet_run
    second_s, second_stdout = second_run
    return {"by_hand_s": by_hand_s, "site_s": site_s, "ratio": site_s / by_hand_s,
            "one_node_s": one_node_run[0], "one_node_ratio": site_s / one_node_run[0], "target_one_node_ratio": 1.3,
            "one_node_slowest_tasks": slowest_tasks(one_node_run[1]), "site_slowest_tasks": slowest_tasks(site_stdout),
            "second_site_s": second_s, "second_site_changed": changed_count(second_stdout),
            "second_site_slowest_tasks": slowest_tasks(second_stdout)}
