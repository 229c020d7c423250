"""The fleet row of `make bench`: site.yml over three fresh hosts reached over SSH (the fleet test bed,
extensions/molecule/tooling/fleet.sh) against the same steps by hand (bench/fleet_by_hand.sh), then a second site.yml.

Each side gets freshly made hosts; Ray comes from the bed's pip mirror for both."""

import json
import sys
import tempfile
import time

from run import BIN, PROFILE_ENV, PROJECT, changed_count, slowest_tasks, timed

sys.path.insert(0, str(PROJECT))
from tests.fleet.bed import BED_DIR, Bed, missing_tools  # noqa: E402


# The workloads the hand script runs too.
WORKLOADS = ["train", "infer", "serve"]


def fleet_against_by_hand():
    reason = missing_tools()
    if reason:
        return {"skipped": reason}
    Bed.up()
    try:
        by_hand, _unused = timed(["bash", str(PROJECT / "bench" / "fleet_by_hand.sh"), str(BED_DIR / "bed.json")], timeout=3600)
    finally:
        Bed.down()
    bed = Bed.up()
    try:
        with tempfile.TemporaryDirectory(prefix="raybook-bench-fleet-") as folder:
            inventory = str(bed.write_inventory(folder))
            # A run id of its own: under one that already finished, site.yml would rightly run nothing.
            site_vars = {"raybook_workloads": WORKLOADS, "raybook_run_id": "bench-fleet-%d" % time.time()}
            playbook = [str(BIN / "ansible-playbook"), "-i", inventory, "site.yml", "-e", json.dumps(site_vars)]
            first, first_stdout = timed(playbook, extra_env=PROFILE_ENV, timeout=3600)
            second, stdout = timed(playbook, extra_env=PROFILE_ENV, timeout=3600)
    finally:
        Bed.down()
    return {"by_hand_s": by_hand, "site_s": first, "ratio": first / by_hand, "target_ratio": 1.3,
            "site_slowest_tasks": slowest_tasks(first_stdout), "second_site_s": second,
            "second_site_changed": changed_count(stdout), "second_site_slowest_tasks": slowest_tasks(stdout)}
