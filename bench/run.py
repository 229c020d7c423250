"""raybook's speed, measured side by side in one run on this machine (`make bench`):

1. site.yml (Ray up + train, infer, serve) against bench/by_hand.sh, the same steps done by hand with Ray's CLI;
2. a second site.yml run, which has nothing to do: seconds and changed tasks;
3. 10 trivial jobs through raybook.ray.ray_job against the bare JobSubmissionClient: overhead per job;
4. 20 jobs submitted at once (Ansible async tasks) against the SDK submitting 20 then waiting for all;
5. site.yml over a fleet of three fresh hosts over SSH against the same steps by hand (bench/fleet.py).

Each part starts from no Ray running where it starts a cluster. Prints a table (or --json); exits 0.
"""

import argparse
import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import tempfile
import time

BENCH = pathlib.Path(__file__).resolve().parent
PROJECT = BENCH.parent
BIN = pathlib.Path(sys.executable).parent
TOKEN_FILE = PROJECT / ".raybook" / "auth_token"
WORKLOADS = ["train", "infer", "serve"]
DASHBOARD = "http://127.0.0.1:8265"


def env():
    return {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "ANSIBLE_CONFIG": str(PROJECT / "ansible.cfg"),
            "RAY_USAGE_STATS_ENABLED": "0"}


def timed(command, **kwargs):
    started = time.monotonic()
    completed = subprocess.run(command, cwd=PROJECT, env=env(), capture_output=True, text=True, **kwargs)
    if completed.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, command))} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return time.monotonic() - started, completed.stdout


def stop_ray():
    subprocess.run([str(BIN / "ray"), "stop", "--force"], capture_output=True, env=env(), timeout=120)


def playbook(*args):
    return timed([str(BIN / "ansible-playbook"), *args], timeout=3600)


def changed_count(stdout):
    return sum(int(n) for n in re.findall(r"changed=(\d+)", stdout.split("PLAY RECAP")[-1]))


def workload_vars(run_id, storage):
    return ["-e", json.dumps({"raybook_workloads": WORKLOADS, "raybook_run_id": run_id, "raybook_storage_path": storage,
                              "raybook_results_dir": str(BENCH / "results")})]


def site_against_by_hand(storage):
    stop_ray()
    by_hand, _ = timed(["bash", str(BENCH / "by_hand.sh"), storage], timeout=3600)
    stop_ray()
    first, _ = playbook("site.yml", *workload_vars("bench", storage))
    second, stdout = playbook("site.yml", *workload_vars("bench", storage))
    return {"by_hand_s": by_hand, "site_s": first, "ratio": first / by_hand, "target_ratio": 1.15,
            "second_site_s": second, "second_site_changed": changed_count(stdout)}



SDK_JOBS = """
import sys, time
from ray.job_submission import JobSubmissionClient, JobStatus
token = open(sys.argv[3]).read().strip()
client = JobSubmissionClient(sys.argv[1], headers={"Authorization": "Bearer " + token})
ids, at_once = [], sys.argv[4] == "at-once"
def wait(job):
    while client.get_job_status(job) not in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED):
        time.sleep(0.2)
for n in range(int(sys.argv[2])):
    ids.append(client.submit_job(entrypoint="python -c \\"print('hi')\\""))
    if not at_once:
        wait(ids[-1])
for job in ids:
    wait(job)
"""


def jobs_against_sdk(count, at_once):
    bench_id = f"{'async' if at_once else 'seq'}-{int(time.time())}"
    ansible_s, _ = playbook(str(BENCH / "jobs.yml"), "-e", f"bench_jobs={count}", "-e", f"bench_async={at_once}",
                            "-e", f"bench_id={bench_id}")
    sdk_s, _ = timed([sys.executable, "-c", SDK_JOBS, DASHBOARD, str(count), str(TOKEN_FILE),
                      "at-once" if at_once else "sequential"], timeout=1800)
    return {"jobs": count, "raybook_s": ansible_s, "sdk_s": sdk_s, "overhead_per_job_s": (ansible_s - sdk_s) / count}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--fleet-only", action="store_true", help="only the fleet row (needs root and dockerd)")
    args = parser.parse_args()
    from fleet import fleet_against_by_hand

    figures = {"machine": f"{platform.node()}: {os.cpu_count()} cores, {platform.platform()}"}
    if not args.fleet_only:
        with tempfile.TemporaryDirectory(prefix="raybook-bench-") as storage:
            figures.update(site=site_against_by_hand(storage), sequential=jobs_against_sdk(10, at_once=False),
                           at_once=jobs_against_sdk(20, at_once=True))
    figures["fleet"] = fleet_against_by_hand()
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"raybook bench on {figures['machine']}")
    print(f"{'measure':<46}{'raybook':>10}{'by hand/SDK':>13}  result")
    if not args.fleet_only:
        print_local_rows(figures)
    fleet = figures["fleet"]
    if "skipped" in fleet:
        print(f"{'fleet: head + 2 workers over SSH':<46}  skipped: {fleet['skipped']}")
    else:
        print(f"{'fleet: site.yml, head + 2 workers (s)':<46}{fleet['site_s']:>10.1f}{fleet['by_hand_s']:>13.1f}"
              f"  {'ratio %.2f' % fleet['ratio']}")
        print(f"{'fleet: second site.yml (s)':<46}{fleet['second_site_s']:>10.1f}{'':>13}"
              f"  {'changed=%d' % fleet['second_site_changed']}")


def print_local_rows(figures):
    site, sequential, at_once = figures["site"], figures["sequential"], figures["at_once"]
    print(f"{'Ray up + train, infer, serve (s)':<46}{site['site_s']:>10.1f}{site['by_hand_s']:>13.1f}"
          f"  {'ratio %.2f (target <= 1.15)' % site['ratio']}")
    print(f"{'second site.yml, nothing to do (s)':<46}{site['second_site_s']:>10.1f}{'':>13}"
          f"  {'changed=%d' % site['second_site_changed']}")
    print(f"{'10 trivial jobs, one after another (s)':<46}{sequential['raybook_s']:>10.1f}{sequential['sdk_s']:>13.1f}"
          f"  {'+%.2f s/job (target <= 1)' % sequential['overhead_per_job_s']}")
    print(f"{'20 trivial jobs at once (s)':<46}{at_once['raybook_s']:>10.1f}{at_once['sdk_s']:>13.1f}"
          f"  {'+%.2f s/job' % at_once['overhead_per_job_s']}")


if __name__ == "__main__":
    main()
