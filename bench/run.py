"""raybook's speed, measured side by side in one run on this machine (`make bench`):

1. site.yml (Ray up + train, infer, serve) against bench/by_hand.sh, the same steps done by hand with Ray's CLI;
2. a second site.yml run, which has nothing to do: seconds and changed tasks;
3. 10 trivial jobs through raybook.ray.ray_job, a task each, against the bare JobSubmissionClient: overhead per job;
4. 10 and 20 jobs in one raybook.ray.ray_job_batch task against the SDK submitting them all then waiting for all
   (medians of three runs each);
   one job in its own ray_job task against a bare ping task plus the job's own time through the SDK;
5. site.yml over a fleet of three fresh hosts over SSH against site.yml on one fresh host, and against the same steps
   by hand over the three (bench/fleet.py);
6. site.yml on the kube bed's kind cluster (smoke only) against the guide's Kubernetes steps by hand on the same bed,
   and a second site.yml (bench/kube.py).

Each part starts from no Ray running where it starts a cluster. The second site.yml runs with Ansible's
profile_tasks callback: its ten slowest tasks are printed too. Prints the machine, the commit and a table (or
--json) and appends the figures as one JSON line to bench/history.jsonl; exits 0.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import re
import statistics
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


HISTORY = BENCH / "history.jsonl"
# Ansible's profile_tasks callback: a line per task, "name ---- 1.23s", slowest first, after the recap.
PROFILE_ENV = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks", "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "10"}
PROFILE_LINE = re.compile(r"^(?P<task>.+?) -+ (?P<seconds>\d+\.\d+)s$")


def env(**extra):
    return {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "ANSIBLE_CONFIG": str(PROJECT / "ansible.cfg"),
            "RAY_USAGE_STATS_ENABLED": "0", **extra}


def timed(command, extra_env=None, **kwargs):
    started = time.monotonic()
    completed = subprocess.run(command, check=False, cwd=PROJECT, env=env(**(extra_env or {})), capture_output=True, text=True,
                               **kwargs)
    if completed.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, command))} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return time.monotonic() - started, completed.stdout


def stop_ray():
    subprocess.run([str(BIN / "ray"), "stop", "--force"], check=False, capture_output=True, env=env(), timeout=120)


def playbook(*args, extra_env=None):
    return timed([str(BIN / "ansible-playbook"), *args], extra_env=extra_env, timeout=3600)


def changed_count(stdout):
    return sum(int(n) for n in re.findall(r"changed=(\d+)", stdout.split("PLAY RECAP")[-1]))


def slowest_tasks(stdout):
    """[(task, seconds)] from profile_tasks' summary, slowest first."""
    summary = stdout.split("PLAY RECAP")[-1]
    return [(match["task"].strip(), float(match["seconds"])) for match in map(PROFILE_LINE.match, summary.splitlines())
            if match]


def site_figures(by_hand_s, first_s, second_s, second_stdout):
    return {"by_hand_s": by_hand_s, "site_s": first_s, "ratio": first_s / by_hand_s, "target_ratio": 1.05,
            "second_site_s": second_s, "second_site_changed": changed_count(second_stdout), "target_second_site_s": 8.0,
            "second_site_slowest_tasks": slowest_tasks(second_stdout)}


def jobs_figures(count, raybook_runs, sdk_runs):
    """The per-job overhead from the medians of repeated runs (one run of each on this VM can be seconds off)."""
    raybook_s, sdk_s = statistics.median(raybook_runs), statistics.median(sdk_runs)
    return {"jobs": count, "raybook_s": raybook_s, "sdk_s": sdk_s, "raybook_runs_s": list(raybook_runs),
            "sdk_runs_s": list(sdk_runs), "overhead_per_job_s": (raybook_s - sdk_s) / count, "target_overhead_per_job_s": 0.3}


def fresh_run_id(prefix):
    """A run id of its own: under one that already finished, site.yml would rightly run nothing."""
    return "%s-%d" % (prefix, time.time())


def print_slowest_tasks(label, tasks):
    print(f"{label}'s ten slowest tasks:")
    for task, seconds in tasks:
        print(f"  {seconds:6.2f} s  {task}")


def history_line(figures, when):
    """One JSON line for bench/history.jsonl: when, then the figures (with the machine and the commit)."""
    return json.dumps({"date": when.isoformat(timespec="seconds"), **figures}, sort_keys=True)


def git_commit():
    completed = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, cwd=PROJECT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], check=False, cwd=PROJECT, capture_output=True,
                           text=True).stdout.strip()
    return (completed.stdout.strip() or "unknown") + ("-dirty" if dirty else "")


def workload_vars(run_id, storage):
    return ["-e", json.dumps({"raybook_workloads": WORKLOADS, "raybook_run_id": run_id, "raybook_storage_path": storage,
                              "raybook_results_dir": str(BENCH / "results")})]


def site_against_by_hand(storage):
    stop_ray()
    by_hand, _unused = timed(["bash", str(BENCH / "by_hand.sh"), storage], timeout=3600)
    stop_ray()
    run_id = fresh_run_id("bench")
    first, _unused = playbook("site.yml", *workload_vars(run_id, storage))
    second, stdout = playbook("site.yml", *workload_vars(run_id, storage), extra_env=PROFILE_ENV)
    return site_figures(by_hand, first, second, stdout)


SDK_JOBS = """
import sys, time
from ray.job_submission import JobSubmissionClient, JobStatus
token = open(sys.argv[3]).read().strip()
client = JobSubmissionClient(sys.argv[1], headers={"Authorization": "Bearer " + token})
ids, at_once = [], sys.argv[4] == "at-once"
def wait(job):
    while client.get_job_status(job) not in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED):
        time.sleep(0.2)
started = time.monotonic()
for n in range(int(sys.argv[2])):
    ids.append(client.submit_job(entrypoint="python -c \\"print('hi')\\""))
    if not at_once:
        wait(ids[-1])
for job in ids:
    wait(job)
print(time.monotonic() - started)  # the jobs alone: no interpreter start, no import
"""


def jobs_against_sdk(count, at_once, repeats=1):
    """`count` jobs through raybook and through the SDK, `repeats` times each, one after the other."""
    mode = "batch" if at_once else "sequential"
    raybook_runs, sdk_runs = [], []
    for n in range(repeats):
        bench_id = f"{mode}-{count}-{n}-{int(time.time())}"
        batch = [{"submission_id": f"bench-{bench_id}-{job}", "entrypoint": "python -c \"print('hi')\""} for job in range(count)]
        raybook_runs.append(playbook(str(BENCH / "jobs.yml"), "-e", f"bench_jobs={count}", "-e", f"bench_mode={mode}",
                                     "-e", f"bench_id={bench_id}", "-e", json.dumps({"bench_batch": batch}))[0])
        sdk_runs.append(timed([sys.executable, "-c", SDK_JOBS, DASHBOARD, str(count), str(TOKEN_FILE),
                               "at-once" if at_once else "sequential"], timeout=1800)[0])
    return jobs_figures(count, raybook_runs, sdk_runs)


def single_job_against_ping(repeats=7):
    """One trivial job in its own ray_job task, against a bare ping task and the job's own time through the SDK
    (submit to SUCCEEDED, measured inside the SDK's process): medians of `repeats` runs each."""
    ping, single, sdk = [], [], []
    for n in range(repeats):
        ping.append(playbook(str(BENCH / "jobs.yml"), "-e", "bench_mode=ping", "-e", "bench_jobs=0", "-e", "bench_id=ping")[0])
        single.append(playbook(str(BENCH / "jobs.yml"), "-e", "bench_mode=single", "-e", "bench_jobs=1",
                               "-e", f"bench_id=single-{n}-{int(time.time())}")[0])
        _process_s, stdout = timed([sys.executable, "-c", SDK_JOBS, DASHBOARD, "1", str(TOKEN_FILE), "sequential"], timeout=600)
        sdk.append(float(stdout.split()[-1]))
    return single_job_figures(statistics.median(ping), statistics.median(single), statistics.median(sdk))


def single_job_figures(ping_s, task_s, sdk_job_s):
    return {"ping_task_s": ping_s, "job_task_s": task_s, "sdk_job_s": sdk_job_s,
            "overhead_s": task_s - ping_s - sdk_job_s, "target_overhead_s": 0.3}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    rows = parser.add_mutually_exclusive_group()
    rows.add_argument("--fleet-only", action="store_true", help="only the fleet rows (needs root and dockerd)")
    rows.add_argument("--site-only", action="store_true", help="only the site.yml rows, on this machine")
    rows.add_argument("--local-only", action="store_true", help="every row but the fleet's and the kube bed's")
    rows.add_argument("--kube-only", action="store_true", help="only the kube bed's rows (needs root, dockerd and Go)")
    args = parser.parse_args()
    from fleet import fleet_against_one_node_and_by_hand
    from kube import kube_against_by_hand

    figures = {"machine": f"{platform.node()}: {os.cpu_count()} cores, {platform.platform()}", "commit": git_commit()}
    if not (args.fleet_only or args.kube_only):
        with tempfile.TemporaryDirectory(prefix="raybook-bench-") as storage:
            figures["site"] = site_against_by_hand(storage)
            if not args.site_only:
                figures.update(sequential=jobs_against_sdk(10, at_once=False),
                               batch_10=jobs_against_sdk(10, at_once=True, repeats=3),
                               batch_20=jobs_against_sdk(20, at_once=True, repeats=3), single=single_job_against_ping())
    if not (args.site_only or args.local_only or args.kube_only):
        figures["fleet"] = fleet_against_one_node_and_by_hand()
    if not (args.site_only or args.local_only or args.fleet_only):
        figures["kube"] = kube_against_by_hand()
    with HISTORY.open("a") as history:
        history.write(history_line(figures, datetime.datetime.now(datetime.timezone.utc)) + "\n")
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"raybook bench on {figures['machine']}, commit {figures['commit']}; appended to {HISTORY.relative_to(PROJECT)}")
    print(f"{'measure':<46}{'raybook':>10}{'by hand/SDK':>13}  result")
    if "site" in figures:
        print_local_rows(figures)
    fleet = figures.get("fleet", {"skipped": "not asked for"})
    if "skipped" in fleet:
        print(f"{'fleet: head + 2 workers over SSH':<46}  skipped: {fleet['skipped']}")
    else:
        print(f"{'fleet: site.yml, head + 2 workers vs 1 host (s)':<46}{fleet['site_s']:>10.1f}{fleet['one_node_s']:>13.1f}"
              f"  ratio {fleet['one_node_ratio']:.2f} (target <= {fleet['target_one_node_ratio']})")
        print(f"{'fleet: the same vs by hand (s)':<46}{fleet['site_s']:>10.1f}{fleet['by_hand_s']:>13.1f}"
              f"  ratio {fleet['ratio']:.2f}")
        print(f"{'fleet: second site.yml (s)':<46}{fleet['second_site_s']:>10.1f}{'':>13}"
              f"  {'changed=%d' % fleet['second_site_changed']}")
        print_slowest_tasks("the fleet's first site.yml", fleet["site_slowest_tasks"])
        print_slowest_tasks("site.yml on one host", fleet["one_node_slowest_tasks"])
    print_kube_rows(figures.get("kube", {"skipped": "not asked for"}))


def print_kube_rows(kube):
    if "skipped" in kube:
        print(f"{'kube bed: kind + KubeRay + smoke':<46}  skipped: {kube['skipped']}")
        return
    print(f"{'kube bed: site.yml vs the guide by hand (s)':<46}{kube['site_s']:>10.1f}{kube['by_hand_s']:>13.1f}"
          f"  ratio {kube['ratio']:.2f}")
    print(f"{'kube bed: second site.yml (s)':<46}{kube['second_site_s']:>10.1f}{'':>13}"
          f"  changed={kube['second_site_changed']}")
    print_slowest_tasks("site.yml on the kube bed", kube["site_slowest_tasks"])


def print_local_rows(figures):
    site = figures["site"]
    print(f"{'Ray up + train, infer, serve (s)':<46}{site['site_s']:>10.1f}{site['by_hand_s']:>13.1f}"
          f"  ratio {site['ratio']:.2f} (target <= {site['target_ratio']})")
    print(f"{'second site.yml, nothing to do (s)':<46}{site['second_site_s']:>10.1f}{'':>13}"
          f"  changed={site['second_site_changed']} (target <= {site['target_second_site_s']:.0f} s)")
    if "sequential" in figures:
        print_job_rows(figures)
    print_slowest_tasks("the second site.yml", site["second_site_slowest_tasks"])


def print_job_rows(figures):
    sequential = figures["sequential"]
    for jobs in (sequential, figures["batch_10"], figures["batch_20"]):
        label = "%d trivial jobs, %s (s)" % (jobs["jobs"], "a ray_job task each" if jobs is sequential else "one ray_job_batch task")
        runs = len(jobs["raybook_runs_s"])
        print(f"{label:<46}{jobs['raybook_s']:>10.1f}{jobs['sdk_s']:>13.1f}"
              f"  {jobs['overhead_per_job_s']:+.2f} s/job (target <= {jobs['target_overhead_per_job_s']})"
              + (f", medians of {runs}" if runs > 1 else ""))
    single = figures["single"]
    print(f"{'one trivial job, a ray_job task above a ping (s)':<46}{single['job_task_s'] - single['ping_task_s']:>10.2f}"
          f"{single['sdk_job_s']:>13.2f}  {single['overhead_s']:+.2f} s (target <= {single['target_overhead_s']})")


if __name__ == "__main__":
    main()
