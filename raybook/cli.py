"""The raybook command: bring a Ray platform up, run workloads on it, show its status, take it down."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from pathlib import Path

from raybook import __version__, display, history, live, report, runner

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
UP_PLAYBOOKS = ("playbooks/bootstrap.yml", "playbooks/cluster.yml")


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports bad usage in one line and exits 2."""

    def error(self, message):
        self.exit(EXIT_USAGE, "%s: %s (see %s --help)\n" % (self.prog, message, self.prog))


def new_run_id():
    """A fresh, sortable run id: the UTC time and a random suffix."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)


def build_parser():
    parser = OneLineParser(prog="raybook", description=__doc__)
    parser.add_argument("--version", action="version", version="raybook " + __version__)
    common = OneLineParser(add_help=False)
    common.add_argument(
        "-i", "--inventory", type=Path, default=runner.DEFAULT_INVENTORY, help="inventory file (default: %(default)s)"
    )
    common.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress lines (a running job's plain line only)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    results = OneLineParser(add_help=False)
    results.add_argument("--results-dir", type=Path, default=runner.PROJECT_DIR / "results", help="default: %(default)s")
    up = commands.add_parser("up", parents=[common], help="prepare the hosts and start the Ray cluster")
    up.add_argument("--check", action="store_true", help="change nothing: show what would change (Ansible's check mode)")
    run = commands.add_parser("run", parents=[common, results], help="run workloads (a new run id each time)")
    run.add_argument("workloads", nargs="*", metavar="WORKLOAD", help="workload folders to run (default: the inventory's)")
    commands.add_parser("status", parents=[common], help="show the cluster's nodes and resources")
    report_parser = commands.add_parser(
        "report", parents=[common, results], help="write a run's report.html (and results/index.html) with its plots"
    )
    report_parser.add_argument("run_id", nargs="?", default="latest", metavar="RUN_ID", help="default: the latest run")
    report_parser.add_argument(
        "--compare", nargs=2, metavar=("A", "B"), help="write compare-A-B.html: B's numbers against A's, what changed"
    )
    commands.add_parser("runs", parents=[common, results], help="list the runs under the results folder, oldest first")
    logs = commands.add_parser("logs", parents=[common, results], help="print a workload's log from a run")
    logs.add_argument("workload", metavar="WORKLOAD")
    logs.add_argument("--run", default="latest", metavar="ID", help="the run (default: the latest)")
    logs.add_argument("--follow", "-f", action="store_true", help="while the job runs, print its log as it grows")
    commands.add_parser("down", parents=[common], help="stop the Ray cluster (and what up created)")
    return parser


def command_up(args, progress):
    outcomes = []
    for playbook in UP_PLAYBOOKS:
        outcomes.append(runner.run_playbook(playbook, args.inventory, progress, check=args.check))
        if not outcomes[-1].ok:
            break
    if not args.check:
        return outcomes, {}
    changes = [dict(host=r["host"], task=r["task"]) for o in outcomes for r in o.results if r["res"].get("changed")]
    return outcomes, {"would_change": changes}


def command_run(args, progress):
    run_id = new_run_id()
    results_dir = args.results_dir.resolve()
    # The CLI writes the report itself, from the same summary, once the play is over.
    extravars = {"raybook_run_id": run_id, "raybook_results_dir": str(results_dir), "ray_workloads_report": False}
    if args.workloads:
        extravars["raybook_workloads"] = args.workloads
    run_dir = results_dir / run_id
    watch = live.JobWatch(run_dir, run_id, progress)
    if progress.enabled:
        watch.start()
    try:
        outcome = runner.run_playbook("playbooks/workloads.yml", args.inventory, progress, extravars)
    finally:
        if watch.is_alive():
            watch.stop()
    extra = {"run_id": run_id, "results": str(run_dir), "workloads": []}
    if (run_dir / "summary.json").is_file():  # absent when the play stopped before any workload ran
        summary = history.load_run(run_dir)
        extra.update(workloads=summary["workloads"], report=str(report.write_report(run_dir, summary)))
    return [outcome], extra


def command_status(args, progress):
    outcome = runner.run_playbook("playbooks/status.yml", args.inventory, progress)
    clusters = [r["res"] for r in outcome.results if "nodes" in r["res"]]
    if outcome.ok and not clusters:
        outcome.failures.append(dict(host=None, task=None, msg="inventory: no host in group ray_head", detail=""))
    cluster = {key: clusters[0][key] for key in ("ray_version", "nodes_alive", "nodes", "resources_total", "resources_available")} if clusters else {}
    return [outcome], {"cluster": cluster}


def local_command(name, work):
    """Run `work()` (no playbook): its extra output, or its ReportError as the command's one-line failure."""
    outcome = runner.Outcome(name=name)
    try:
        return [outcome], work()
    except history.ReportError as exc:
        outcome.status, outcome.rc = "failed", 1
        outcome.failures.append(dict(host=None, task=None, msg=str(exc), detail=""))
        return [outcome], {}


def command_report(args, progress):
    """Write the report of a run already on disk, or compare two (no playbook runs)."""

    def work():
        if args.compare:
            path, rows, changed = report.write_comparison(args.results_dir, *args.compare)
            return {"comparison": str(path), "measures": [dict(zip(("measure", "a", "b", "change"), row)) for row in rows],
                    "changed": changed}
        run_dir = history.run_dir(args.results_dir, args.run_id)
        summary = history.load_run(run_dir)
        return {"report": str(report.write_report(run_dir, summary)), "results": str(run_dir), "workloads": summary["workloads"]}

    return local_command("report", work)


def command_runs(args, progress):
    return local_command("runs", lambda: {"runs": [history.metrics(run) for run in history.list_runs(args.results_dir)]})


def command_logs(args, progress):
    """A workload's logs.txt; while its job runs, what Ray has so far (and, with --follow, the rest as it comes)."""

    def work():
        run_dir = history.run_dir(args.results_dir, args.run)
        run = history.load_run(run_dir)
        workload_dir = history.run_dir(run_dir, args.workload, "workload")
        if (workload_dir / "job.json").is_file() and (workload_dir / "logs.txt").is_file():
            logs = (workload_dir / "logs.txt").read_text()
            return {"run_id": run["run_id"], "workload": args.workload, "logs": logs, "status": "done"}
        api = live.JobsAPI.for_run(run_dir)
        if api is None or run.get("status") != "RUNNING":
            known = ", ".join(w["workload"] for w in run["workloads"]) or "none yet"
            raise history.ReportError("no logs of %r in run %s (its workloads: %s)" % (args.workload, run["run_id"], known))
        submission_id = "raybook-%s-%s" % (run["run_id"], args.workload)
        try:
            if args.follow and not args.json:
                status = live.follow(api, submission_id, lambda text: print(text, end="", flush=True))
                return {"run_id": run["run_id"], "workload": args.workload, "status": status, "followed": True}
            return {"run_id": run["run_id"], "workload": args.workload, "logs": api.logs(submission_id), "status": "running"}
        except (OSError, ValueError) as exc:
            raise history.ReportError("%s: cannot read the job's logs from %s (%s)" % (args.workload, api.address, exc)) from None

    return local_command("logs", work)


def command_down(args, progress):
    return [runner.run_playbook("playbooks/down.yml", args.inventory, progress)], {}


COMMANDS = {
    "up": command_up, "run": command_run, "status": command_status, "report": command_report, "runs": command_runs,
    "logs": command_logs, "down": command_down,
}
# The commands that read only the results folder: no inventory needed.
RESULTS_COMMANDS = ("report", "runs", "logs")
# `raybook logs --follow` ends with its job: these make its exit code 1.
FAILED_JOB_STATUSES = ("FAILED", "STOPPED")


def print_report(outcomes, extra):
    if extra.get("cluster"):
        cluster = extra["cluster"]
        print("Ray %s, %d node(s) alive" % (cluster["ray_version"], cluster["nodes_alive"]))
        print(display.nodes_table(cluster))
        print()
    if extra.get("workloads"):
        print(display.workloads_table(extra["workloads"]))
        print("results: %s" % extra["results"])
        print()
    if extra.get("report"):
        print("report: %s" % extra["report"])
    if "runs" in extra:
        print(display.runs_table(extra["runs"]) if extra["runs"] else "no runs yet")
    if extra.get("comparison"):
        print(display.table(["MEASURE", "A", "B", "CHANGE"], extra["measures"] and [list(m.values()) for m in extra["measures"]]))
        print("changed: %s" % ("; ".join(extra["changed"]) or "nothing"))
        print("comparison: %s" % extra["comparison"])
    if "logs" in extra:
        sys.stdout.write(extra["logs"])
    if "would_change" in extra:
        print("check mode: nothing was changed. %s" % ("Would change:" if extra["would_change"] else "Nothing would change."))
        for change in extra["would_change"]:
            print("  %s | %s" % (change["host"], change["task"]))
    if any(outcome.hosts for outcome in outcomes):
        print(display.hosts_table(outcomes))
    for outcome in outcomes:
        if not outcome.ok and outcome.artifacts:  # said first: the error stays the last line
            print("ansible-runner's record of %s: %s" % (outcome.name, outcome.artifacts), file=sys.stderr)
        for failure in outcome.failures:
            print("error: %s%s" % ("%s: " % failure["host"] if failure["host"] else "", failure["msg"]), file=sys.stderr)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command not in RESULTS_COMMANDS and not args.inventory.is_file():
        print("raybook: inventory: no such file: %s" % args.inventory, file=sys.stderr)
        return EXIT_USAGE
    args.inventory = args.inventory.resolve()
    progress = display.Progress(enabled=not args.json, quiet=args.quiet)
    outcomes, extra = COMMANDS[args.command](args, progress)
    succeeded = all(outcome.ok for outcome in outcomes) and extra.get("status") not in FAILED_JOB_STATUSES
    if args.json:
        document = dict(command=args.command, ok=succeeded, playbooks=[o.as_dict() for o in outcomes], **extra)
        print(json.dumps(document, indent=2, sort_keys=True))
    else:
        print_report(outcomes, extra)
    return EXIT_OK if succeeded else EXIT_FAILED
