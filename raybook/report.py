"""The run report: one HTML page with the run's jobs and plots of training loss, inference throughput and
serving latency, written next to the run's results. The page and its images work opened from disk."""

from __future__ import annotations

import html
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from raybook.display import first_line  # noqa: E402

STATUS_COLOURS = {"SUCCEEDED": "#1a7f37", "FAILED": "#cf222e", "STOPPED": "#bc4c00", "ERROR": "#cf222e"}


class ReportError(Exception):
    """A run folder that cannot be reported on, in one line."""


def load_run(run_dir):
    """The run's summary, with each workload's result.json added as `result`."""
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        raise ReportError("no run at %s (summary.json is missing)" % run_dir)
    summary = _read_json(summary_path)
    for workload in summary.get("workloads", []):
        result_path = run_dir / workload["workload"] / "result.json"
        workload["result"] = _read_json(result_path) if result_path.is_file() else None
    return summary


def _read_json(path):
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise ReportError("%s: not JSON (%s)" % (path, exc)) from None


def _save(figure, path):
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path.name


def loss_plot(name, result, out_dir):
    losses = result["loss_per_epoch"]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.plot(range(1, len(losses) + 1), losses, marker="o")
    axes.set(title="%s: training loss per epoch" % name, xlabel="epoch", ylabel="cross-entropy loss")
    axes.grid(alpha=0.3)
    return _save(figure, out_dir / ("%s-loss.png" % name))


def throughput_plot(name, result, out_dir):
    figure, axes = plt.subplots(figsize=(6, 2.5))
    axes.barh([name], [result["rows_per_s"]], color="#0969da")
    axes.set(title="%s: %d rows in %.2f s" % (name, result["rows"], result["seconds"]), xlabel="rows per second")
    axes.bar_label(axes.containers[0], fmt="%.0f")
    return _save(figure, out_dir / ("%s-throughput.png" % name))


def latency_plot(name, result, out_dir):
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.plot(range(1, len(result["latencies_ms"]) + 1), result["latencies_ms"], marker=".", linestyle="none")
    for label, value in result["latency_ms"].items():
        if label != "max":
            axes.axhline(value, linestyle="--", alpha=0.6, label="%s %.1f ms" % (label, value))
    axes.set(title="%s: latency per request" % name, xlabel="request", ylabel="ms")
    axes.legend()
    axes.grid(alpha=0.3)
    return _save(figure, out_dir / ("%s-latency.png" % name))


# Which plot a workload's result gets, by the fields it reports.
PLOTS = (("loss_per_epoch", loss_plot), ("rows_per_s", throughput_plot), ("latencies_ms", latency_plot))
# The result fields shown as numbers next to the plots.
HEADLINES = (
    "epochs", "final_loss", "final_accuracy", "workers", "use_gpu", "checkpoint",
    "rows", "rows_per_s", "accuracy", "actors", "model",
    "requests", "answers", "matching_answers", "latency_ms",
)


def where_it_ran(result):
    """Each worker's, actor's or replica's device and node, from train's worker_placement or infer's and serve's
    devices: 'cpu on 10.0.0.21, cuda:0 on 10.0.0.22'."""
    places = result.get("worker_placement") or result.get("devices") or []
    return ", ".join("%s on %s" % (place.get("device"), place.get("node_ip")) for place in places if isinstance(place, dict))


def _cell(value):
    return "-" if value is None or value == "" else html.escape(str(value))


def jobs_table(workloads):
    rows = []
    for workload in workloads:
        status = workload.get("status") or "ERROR"
        resources = ", ".join("%s=%s" % item for item in sorted((workload.get("resources") or {}).items()))
        rows.append(
            "<tr><td>%s</td><td style='color:%s;font-weight:bold'>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
            % (
                _cell(workload["workload"]), STATUS_COLOURS.get(status, "#57606a"), _cell(status),
                _cell(workload.get("duration_s")), _cell(resources), _cell(workload.get("submission_id")),
                _cell(first_line(workload.get("error") or workload.get("message"))),
            )
        )
    return (
        "<table><tr><th>workload</th><th>status</th><th>seconds</th><th>resources</th><th>submission id</th>"
        "<th>message</th></tr>%s</table>" % "".join(rows)
    )


def workload_section(workload, out_dir):
    result = workload.get("result")
    parts = ["<h2>%s</h2>" % _cell(workload["workload"])]
    if not isinstance(result, dict):
        parts.append("<p>No result: the workload %s.</p>" % _cell((workload.get("status") or "ERROR").lower()))
        return "".join(parts)
    shown = [(key, result[key]) for key in HEADLINES if key in result]
    if where_it_ran(result):
        shown.append(("ran on", where_it_ran(result)))
    if shown:
        parts.append("<dl>%s</dl>" % "".join("<dt>%s</dt><dd>%s</dd>" % (_cell(k), _cell(v)) for k, v in shown))
    for field, plot in PLOTS:
        if field in result:
            image = plot(workload["workload"], result, out_dir)
            parts.append("<img src='%s' alt='%s'>" % (html.escape(image), html.escape(image)))
    samples = result.get("samples")
    if isinstance(samples, list) and samples:
        parts.append("<h3>Sample answers</h3><pre>%s</pre>" % html.escape("\n".join(json.dumps(s) for s in samples)))
    return "".join(parts)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>raybook run %(run_id)s</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#1f2328}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.3em .6em;text-align:left}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}dd{margin:0}
img{display:block;margin:1em 0;max-width:100%%}pre{background:#f6f8fa;padding:.6em}
</style></head><body>
<h1>raybook run %(run_id)s: %(status)s</h1>
%(jobs)s
%(sections)s
</body></html>
"""


def write_report(run_dir, summary=None):
    """Write run_dir/report.html and its plots (from `summary`, else from disk); return the page's path."""
    run_dir = Path(run_dir).resolve()
    summary = summary or load_run(run_dir)
    workloads = summary.get("workloads", [])
    page = PAGE % dict(
        run_id=_cell(summary.get("run_id", run_dir.name)),
        status=_cell(summary.get("status")),
        jobs=jobs_table(workloads),
        sections="\n".join(workload_section(workload, run_dir) for workload in workloads),
    )
    path = run_dir / "report.html"
    path.write_text(page)
    return path
