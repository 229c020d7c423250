"""The raybook command: bring a Ray platform up, run workloads on it, show its status, take it down."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from pathlib import Path

from raybook import __version__, display, driver, report

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
        "-i", "--inventory", type=Path, default=driver.DEFAULT_INVENTORY, help="inventory file (default: %(default)s)"
    )
    common.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("up", parents=[common], help="prepare the hosts and start the Ray cluster")
    run = commands.add_parser("run", parents=[common], help="run workloads (a new run id each time)")
    run.add_argument("workloads", nargs="*", metavar="WORKLOAD", help="workload folders to run (default: the inventory's)")
    run.add_argument("--results-dir", type=Path, default=driver.PROJECT_DIR / "results", help="default: %(default)s")
    commands.add_parser("status", parents=[common], help="show the cluster's nodes and resources")
    report_parser = commands.add_parser("report", parents=[common], help="write a run's report.html with its plots")
    report_parser.add_argument("run_id", nargs="?", default="latest", metavar="RUN_ID", help="default: the latest run")
    report_parser.add_argument("--results-dir", type=Path, default=driver.PROJECT_DIR / "results", help="default: %(default)s")
    commands.add_parser("down", parents=[common], help="stop the Ray cluster (and what up created)")
    return parser


def command_up(args, progress):
    outcomes = []
    for playbook in UP_PLAYBOOKS:
        outcomes.append(driver.run_playbook(playbook, args.inventory, progress))
        if not outcomes[-1].ok:
            break
    return outcomes, {}


def command_run(args, progress):
    run_id = new_run_id()
    results_dir = args.results_dir.resolve()
    extravars = {"raybook_run_id": run_id, "raybook_results_dir": str(results_dir)}
    if args.workloads:
        extravars["raybook_workloads"] = args.workloads
    outcome = driver.run_playbook("playbooks/workloads.yml", args.inventory, progress, extravars)
    run_dir = results_dir / run_id
    extra = {"run_id": run_id, "results": str(run_dir), "workloads": []}
    if (run_dir / "summary.json").is_file():  # absent when the play stopped before any workload ran
        summary = report.load_run(run_dir)
        extra.update(workloads=summary["workloads"], report=str(report.write_report(run_dir, summary)))
    return [outcome], extra


def command_status(args, progress):
    module_args = "address={{ raybook_ray_address }} auth_token_file={{ raybook_ray_auth_token_file }} timeout=10"
    outcome = driver.run_module("raybook.ray.ray_cluster_info", module_args, "ray_head", args.inventory, progress)
    clusters = [r["res"] for r in outcome.results if "nodes" in r["res"]]
    if outcome.ok and not clusters:
        outcome.failures.append(dict(host=None, task=None, msg="inventory: no host in group ray_head", detail=""))
    cluster = {key: clusters[0][key] for key in ("ray_version", "nodes_alive", "nodes", "resources_total", "resources_available")} if clusters else {}
    return [outcome], {"cluster": cluster}


def command_report(args, progress):
    """Write the report of a run already on disk (no playbook runs)."""
    outcome = driver.Outcome(name="report")
    run_dir = (args.results_dir / args.run_id).resolve()
    try:
        summary = report.load_run(run_dir)
        extra = {"report": str(report.write_report(run_dir, summary)), "results": str(run_dir), "workloads": summary["workloads"]}
    except report.ReportError as exc:
        outcome.status, outcome.rc = "failed", 1
        outcome.failures.append(dict(host=None, task=None, msg=str(exc), detail=""))
        extra = {}
    return [outcome], extra


def command_down(args, progress):
    return [driver.run_playbook("playbooks/down.yml", args.inventory, progress)], {}


COMMANDS = {"up": command_up, "run": command_run, "status": command_status, "report": command_report, "down": command_down}


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
    if any(outcome.hosts for outcome in outcomes):
        print(display.hosts_table(outcomes))
    for outcome in outcomes:
        for failure in outcome.failures:
            print("error: %s%s" % ("%s: " % failure["host"] if failure["host"] else "", failure["msg"]), file=sys.stderr)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if not args.inventory.is_file():
        print("raybook: inventory: no such file: %s" % args.inventory, file=sys.stderr)
        return EXIT_USAGE
    args.inventory = args.inventory.resolve()
    progress = display.Progress(enabled=not (args.quiet or args.json))
    outcomes, extra = COMMANDS[args.command](args, progress)
    succeeded = all(outcome.ok for outcome in outcomes)
    if args.json:
        document = dict(command=args.command, ok=succeeded, playbooks=[o.as_dict() for o in outcomes], **extra)
        print(json.dumps(document, indent=2, sort_keys=True))
    else:
        print_report(outcomes, extra)
    return EXIT_OK if succeeded else EXIT_FAILED
