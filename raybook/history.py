"""The runs under a results folder: each run's headline numbers, and what changed from one run to another."""

from __future__ import annotations

import json
from pathlib import Path

from raybook.formatting import parse_time

# A run folder's name: letters, digits, '.', '_' or '-' (the run id rule of ray_workloads), never a path.
RUN_ID_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class ReportError(Exception):
    """A run folder that cannot be read, in one line."""


def read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except ValueError as exc:
        raise ReportError("%s: not JSON (%s)" % (path, exc)) from None


def run_dir(results_dir, run_id, field="run id"):
    """The folder of run `run_id` under results_dir ('latest' follows the link); a name that would leave
    results_dir is refused."""
    results_dir = Path(results_dir).resolve()
    if not run_id or run_id.startswith(".") or not set(run_id) <= RUN_ID_CHARACTERS:
        raise ReportError("%s: expected a folder name (letters, digits, '.', '_', '-'), got %r" % (field, run_id))
    folder = (results_dir / run_id).resolve()
    if folder.parent != results_dir:
        raise ReportError("%s: %r points outside %s" % (field, run_id, results_dir))
    return folder


def load_run(folder):
    """The run's summary (or, while it runs, its run.json), with each workload's result.json added as `result`."""
    folder = Path(folder)
    summary_path = folder / "summary.json"
    if summary_path.is_file():
        summary = read_json(summary_path)
    elif (folder / "run.json").is_file():
        summary = dict(read_json(folder / "run.json"), status="RUNNING", workloads=[])
    else:
        raise ReportError("no run at %s (summary.json is missing)" % folder)
    if not isinstance(summary, dict):
        raise ReportError("%s: expected a JSON object" % summary_path)
    summary.setdefault("run_id", folder.name)
    # ray_workloads writes COMPLETE after everything else; a summary without it was cut short.
    summary["complete"] = (folder / "COMPLETE").is_file()
    workloads = summary.get("workloads")
    summary["workloads"] = [w for w in workloads if isinstance(w, dict) and w.get("workload")] if isinstance(workloads, list) else []
    summary.setdefault("started", _job_time(summary["workloads"], "start_time", min))
    summary.setdefault("finished", _job_time(summary["workloads"], "end_time", max))
    for workload in summary["workloads"]:
        result_path = folder / str(workload["workload"]) / "result.json"
        try:
            workload["result"] = read_json(result_path) if result_path.is_file() else None
        except ReportError:
            workload["result"] = None  # the report says the result is unreadable; the other workloads still show
    return summary


def _job_time(workloads, field, pick):
    """The first start or the last end of the run's jobs, as ISO 8601 UTC to the second; None when no job has one."""
    times = [parse_time(w.get(field)) for w in workloads]
    times = [time for time in times if time]
    return pick(times).strftime("%Y-%m-%dT%H:%M:%SZ") if times else None


def list_runs(results_dir):
    """Every run under results_dir, oldest first (run ids sort by time); folders that are not runs are left out."""
    results_dir = Path(results_dir)
    runs = []
    if not results_dir.is_dir():
        return runs
    for folder in sorted(results_dir.iterdir()):
        if folder.is_symlink() or not folder.is_dir():
            continue
        try:
            runs.append(load_run(folder))
        except ReportError:
            continue
    return sorted(runs, key=lambda run: (str(run.get("started") or ""), run["run_id"]))


def result_of(run, field):
    """The first workload result of the run that has `field` (a run's train is the one with loss_per_epoch)."""
    for workload in run.get("workloads", []):
        result = workload.get("result")
        if isinstance(result, dict) and field in result:
            return result
    return {}


def duration(run):
    """Seconds from the run's first job's start to its last job's end, or the sum of its jobs' durations when the
    times are not known."""
    started, finished = parse_time(run.get("started")), parse_time(run.get("finished"))
    if started and finished:
        return (finished - started).total_seconds()
    durations = [w.get("duration_s") for w in run.get("workloads", []) if isinstance(w.get("duration_s"), (int, float))]
    return sum(durations) if durations else None


def metrics(run):
    """A run's headline numbers: the ones the history table and trend plots show."""
    latency = result_of(run, "latency_ms").get("latency_ms") or {}
    return {
        "run_id": run["run_id"],
        "started": run.get("started"),
        "status": run.get("status"),
        "duration_s": duration(run),
        "final_loss": result_of(run, "final_loss").get("final_loss"),
        "final_accuracy": result_of(run, "final_accuracy").get("final_accuracy"),
        "rows_per_s": result_of(run, "rows_per_s").get("rows_per_s"),
        "p50_ms": latency.get("p50") if isinstance(latency, dict) else None,
        "p95_ms": latency.get("p95") if isinstance(latency, dict) else None,
        "nodes_alive": run.get("nodes_alive"),
        "ray_version": run.get("ray_version"),
    }


def settings(run):
    """What a run was run with, flat: {'ray_version': '2.60.0', 'nodes': 3, 'train.entrypoint': '...', ...}."""
    flat = {"ray_version": run.get("ray_version"), "nodes": run.get("nodes_alive"), "platform": run.get("platform")}
    workloads = run.get("settings") if isinstance(run.get("settings"), dict) else {}
    for name, spec in sorted(workloads.items()):
        if isinstance(spec, dict):
            for key, value in sorted(spec.items()):
                if key not in ("name", "description"):
                    flat["%s.%s" % (name, key)] = json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value
    return {key: value for key, value in flat.items() if value is not None}


def changes(old, new):
    """What differs between two runs' settings, one phrase each: "ray_version 2.59.0 -> 2.60.0",
    "train.entrypoint 'python train.py' -> 'python train.py --epochs 5'", "infer added"."""
    before, after = settings(old), settings(new)
    phrases = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            phrases.append("%s removed" % key)
        elif key not in before:
            phrases.append("%s %s (new)" % (key, _shown(after[key])))
        elif before[key] != after[key]:
            phrases.append("%s %s -> %s" % (key, _shown(before[key]), _shown(after[key])))
    return phrases


def _shown(value):
    return repr(value) if isinstance(value, str) and " " in value else str(value)
