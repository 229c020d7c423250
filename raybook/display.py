"""What the CLI prints: a live progress line per task, failure lines and plain-text tables."""

from __future__ import annotations

import shutil
import sys
import threading
import time

from raybook import formatting

# Without a terminal, a running job's line is repeated at most this often (when it changed).
PLAIN_JOB_LINE_EVERY_S = 10


class Progress:
    """One line per task: rewritten in place on a terminal, appended otherwise; silent when disabled. Quiet keeps
    only a running job's plain line, so a long job is never silent."""

    def __init__(self, stream=sys.stderr, enabled=True, quiet=False):
        self.stream = stream
        self.enabled = enabled
        self.quiet = quiet
        self.live = enabled and not quiet and stream.isatty()
        self.name = ""
        self.count = 0
        self.started = time.monotonic()
        self.task_name = ""
        self.job_text, self.job_shown_at = "", 0.0
        self.lock = threading.Lock()  # the job watcher writes from its own thread

    def _write(self, text, final=False, job=False):
        if not self.enabled or (self.quiet and not job):
            return
        with self.lock:
            if self.live:
                width = shutil.get_terminal_size((100, 20)).columns - 1
                self.stream.write("\r\033[K" + text[:width] + ("\n" if final else ""))
            else:
                self.stream.write(text + "\n")
            self.stream.flush()

    def _task_line(self, text=None):
        return "%s [%3d] %5.0fs %s" % (self.name, self.count, time.monotonic() - self.started, text or self.task_name)

    def start(self, name):
        self.name, self.count, self.started = name, 0, time.monotonic()

    def task(self, task_name):
        self.count += 1
        self.task_name = task_name
        self._write(self._task_line())

    def job(self, text):
        """A running job's elapsed time and last log line: on the task's line on a terminal; otherwise (or quiet)
        a plain line when it changed, at most every PLAIN_JOB_LINE_EVERY_S seconds."""
        if self.live:
            self._write(self._task_line(text))
        elif text != self.job_text and time.monotonic() - self.job_shown_at >= PLAIN_JOB_LINE_EVERY_S:
            self.job_text, self.job_shown_at = text, time.monotonic()
            self._write("  job: " + text, job=True)

    def failure(self, failure):
        where = failure["host"] or "-"
        self._write("FAILED %s | %s: %s" % (where, failure["task"], failure["msg"]), final=True)

    def done(self):
        if self.count == 0:  # a module run has no tasks to count
            return
        self._write("%s: %d tasks in %.0fs" % (self.name, self.count, time.monotonic() - self.started), final=True)


def table(headers, rows):
    """A plain-text table, columns padded to their widest cell; numbers aligned right."""
    cells = [[str(cell) for cell in headers]] + [["-" if cell is None else str(cell) for cell in row] for row in rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    numeric = [all(isinstance(row[column], (int, float)) for row in rows) and rows for column in range(len(headers))]
    lines = []
    for row in cells:
        padded = [
            cell.rjust(width) if is_number else cell.ljust(width) for cell, width, is_number in zip(row, widths, numeric)
        ]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def hosts_table(outcomes):
    """Per-host counts added up over the playbooks a command ran."""
    totals = {}
    for outcome in outcomes:
        for host, counts in outcome.hosts.items():
            entry = totals.setdefault(host, dict.fromkeys(counts, 0))
            for key, value in counts.items():
                entry[key] = entry.get(key, 0) + value
    headers = ["HOST", "OK", "CHANGED", "FAILED", "UNREACHABLE", "SKIPPED"]
    rows = [
        [host, c["ok"], c["changed"], c["failed"], c["unreachable"], c["skipped"]] for host, c in sorted(totals.items())
    ]
    return table(headers, rows)


def first_line(text):
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def workloads_table(workloads):
    rows = [
        [
            w.get("workload"), w.get("status"), formatting.seconds(w.get("duration_s")), w.get("submission_id"),
            first_line(w.get("error") or w.get("message")),
        ]
        for w in workloads
    ]
    return table(["WORKLOAD", "STATUS", "DURATION", "SUBMISSION ID", "MESSAGE"], rows)


def nodes_table(cluster):
    rows = []
    for node in cluster.get("nodes", []):
        resources = node.get("resources", {})
        rows.append(
            [
                node.get("node_ip"),
                "head" if node.get("is_head") else "worker",
                resources.get("CPU", 0),
                resources.get("GPU", 0),
                round(resources.get("memory", 0) / 2**30, 1),
                (node.get("node_id") or "")[:12],
            ]
        )
    return table(["NODE IP", "ROLE", "CPU", "GPU", "MEMORY GiB", "NODE ID"], rows)


def runs_table(runs):
    """`raybook runs`: a row per run with its headline numbers (from history.metrics)."""
    rows = [
        [
            run["run_id"], formatting.timestamp(run.get("started")), run.get("status"), formatting.seconds(run.get("duration_s")),
            formatting.number(run.get("final_loss")), formatting.number(run.get("rows_per_s")),
            formatting.number(run.get("p50_ms")), formatting.number(run.get("p95_ms")),
        ]
        for run in runs
    ]
    return table(["RUN", "STARTED", "STATUS", "DURATION", "FINAL LOSS", "ROWS/S", "P50 MS", "P95 MS"], rows)
