"""The fleet rows of `make bench`: site.yml over three fresh hosts reached over SSH (the fleet test bed,
extensions/molecule/tooling/fleet.sh) against the same site.yml on one fresh host of that bed, and against the same
steps by hand over the three (bench/fleet_by_hand.sh); then a second site.yml over the three.

Each run gets freshly made hosts; Ray comes from the bed's pip mirror for all of them. The bed's hosts share this
machine's cores: three hosts installing at once compete for them, as they do by hand."""

import json
import sys
import tempfile

from run import BIN, PROFILE_ENV, PROJECT, changed_count, fresh_run_id, slowest_tasks, timed

sys.path.insert(0, str(PROJECT))
from tests.fleet.bed import BED_DIR, Bed, missing_tools  # noqa: E402


# The workloads the hand script runs too.
WORKLOADS = ["train", "infer", "serve"]


def fleet_against_one_node_and_by_hand():
    reason = missing_tools()
    if reason:
        return {"skipped": reason}
    Bed.up()
    try:
        by_hand, _unused = timed(["bash", str(PROJECT / "bench" / "fleet_by_hand.sh"), str(BED_DIR / "bed.json")], timeout=3600)
    finally:
        Bed.down()
    # Alone, the head does the work too: it gets its CPUs back.
    [one_node] = site_on_a_fresh_bed(workers=(), head={"ray_node_num_cpus": None})
    fleet, second = site_on_a_fresh_bed(workers=("worker1", "worker2"), twice=True)
    return fleet_figures(by_hand, one_node, fleet, second)


def site_on_a_fresh_bed(workers, twice=False, **overrides_by_host):
    """site.yml (with profile_tasks) on the bed's head and `workers`, freshly made (their variables changed by
    overrides_by_host): [(seconds, stdout)] of the run, and of a second one when `twice`."""
    bed = Bed.up()
    try:
        with tempfile.TemporaryDirectory(prefix="raybook-bench-fleet-") as folder:
            inventory = str(bed.write_inventory(folder, workers=workers, **overrides_by_host))
            site_vars = {"raybook_workloads": WORKLOADS, "raybook_run_id": fresh_run_id("bench-fleet")}
            playbook = [str(BIN / "ansible-playbook"), "-i", inventory, "site.yml", "-e", json.dumps(site_vars)]
            return [timed(playbook, extra_env=PROFILE_ENV, timeout=3600) for _unused in range(2 if twice else 1)]
    finally:
        Bed.down()


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
