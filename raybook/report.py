"""The pages a person reads after a run, written beside the results and working opened from disk (no network assets):
results/<run>/report.html for one run, results/index.html for every run, results/compare-<A>-<B>.html for two."""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path

from raybook import display, formatting, history, plots

STATUS_CLASSES = {"SUCCEEDED": "ok", "RUNNING": "running"}
# The result fields shown as numbers beside a workload's plots, in this order.
HEADLINES = (
    "epochs", "final_loss", "final_accuracy", "workers", "train_seconds", "checkpoint",
    "rows", "rows_per_s", "seconds", "accuracy", "actors", "model",
    "requests", "answers", "matching_answers", "latency_ms", "nodes_alive", "ray_version",
)
LOG_TAIL_LINES = 20

STYLE = """
:root{--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--run:#9a6700}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1em;max-width:62em;color:var(--fg);
line-height:1.4}
p{overflow-wrap:anywhere}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid var(--line)}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid var(--line);padding:.3em .6em;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.nowrap{white-space:nowrap}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.5em 0}dt{font-weight:600}dd{margin:0;
overflow-wrap:anywhere}
.status{font-weight:700;color:var(--bad)}.status.ok{color:var(--ok)}.status.running{color:var(--run)}
figure{margin:1em 0}img{display:block;max-width:100%;height:auto}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85em}
.muted{color:var(--muted)}
@media (max-width:40em){dl{grid-template-columns:1fr}dt{margin-top:.4em}}
@media print{body{max-width:none;padding:0}a{color:inherit;text-decoration:none}figure,table,pre{break-inside:avoid}
.scroll{overflow:visible}}
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%(title)s</title><style>%(style)s</style></head>
<body>
%(body)s
</body></html>
"""


def esc(value):
    return html.escape(formatting.MISSING if value is None or value == "" else str(value))


def status_html(status):
    status = status or "ERROR"
    return "<span class='status %s'>%s</span>" % (STATUS_CLASSES.get(status, "bad"), esc(status))


def table(headers, rows, numeric=()):
    """An HTML table in a box that scrolls sideways on a narrow screen; rows hold HTML, headers text."""
    head = "".join("<th%s>%s</th>" % (" class='n'" if h in numeric else "", esc(h)) for h in headers)
    body = "".join(
        "<tr>%s</tr>" % "".join("<td%s>%s</td>" % (" class='n'" if h in numeric else "", cell) for h, cell in zip(headers, row))
        for row in rows
    )
    return "<div class='scroll'><table><tr>%s</tr>%s</table></div>" % (head, body)


def definitions(pairs):
    return "<dl>%s</dl>" % "".join("<dt>%s</dt><dd>%s</dd>" % (esc(name), esc(text)) for name, text in pairs)


def figure(image, caption):
    return "<figure><img src='%s' alt='%s'></figure>" % (html.escape(image), html.escape(caption))


def write_atomically(path, text):
    """Write the whole file or nothing: a reader never sees half a page."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".")
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
    return path


def page(title, body):
    return PAGE % dict(title=html.escape(title), style=STYLE, body=body)


# One run's page.


def where_it_ran(result):
    """Each worker's, actor's or replica's device and node, from train's worker_placement or infer's and serve's
    devices: 'cpu on 10.0.0.21, cuda:0 on 10.0.0.22'."""
    if not isinstance(result, dict):
        return ""
    places = result.get("worker_placement") or result.get("devices") or []
    return ", ".join("%s on %s" % (p.get("device"), p.get("node_ip")) for p in places if isinstance(p, dict))


def run_header(run):
    pairs = [
        ("run", run.get("run_id")),
        ("started", formatting.timestamp(run.get("started"))),
        ("duration", formatting.seconds(history.duration(run))),
        ("Ray", run.get("ray_version")),
        ("platform", run.get("platform")),
        ("nodes", run.get("nodes_alive")),
    ]
    warning = "" if run.get("complete") or run.get("status") == "RUNNING" else (
        "<p class='status'>Incomplete: the run stopped before its results were all written (no COMPLETE marker).</p>")
    return "<h1>raybook run %s %s</h1>%s%s" % (
        esc(run.get("run_id")), status_html(run.get("status")), warning, definitions(pairs))


def cluster_section(run):
    """The cluster as smoke saw it: a row per node."""
    nodes = history.result_of(run, "nodes").get("nodes")
    if not isinstance(nodes, list) or not nodes:
        return ""
    rows = []
    for node in (n for n in nodes if isinstance(n, dict)):
        gpus = formatting.number(node.get("gpus"))
        if node.get("gpu_model"):
            gpus += " (%s)" % node["gpu_model"]
        rows.append([
            esc(node.get("node_ip")), esc(node.get("hostname")), "head" if node.get("is_head") else "worker",
            esc(formatting.number(node.get("cpus"))), esc(gpus), esc(formatting.gib(node.get("memory_bytes"))),
        ])
    headers = ["node IP", "host", "role", "CPUs", "GPUs", "memory"]
    return "<h2>Cluster</h2>" + table(headers, rows, numeric=("CPUs", "memory"))


def file_links(run_dir, name):
    links = [
        "<a href='%s/%s'>%s</a>" % (html.escape(name), f, f) for f in ("logs.txt", "result.json") if (run_dir / name / f).is_file()
    ]
    return " · ".join(links) or formatting.MISSING


def workloads_table(run, run_dir):
    rows = []
    for workload in run["workloads"]:
        name = workload["workload"]
        rows.append([
            "<a href='#%s'>%s</a>" % (esc(name), esc(name)), status_html(workload.get("status")),
            esc(formatting.seconds(workload.get("duration_s"))), esc(where_it_ran(workload.get("result")) or None),
            file_links(run_dir, name),
        ])
    return "<h2>Workloads</h2>" + table(["workload", "status", "duration", "ran on", "files"], rows, numeric=("duration",))


def log_tail(run_dir, name, lines=LOG_TAIL_LINES):
    path = run_dir / name / "logs.txt"
    if not path.is_file():
        return ""
    tail = path.read_text(errors="replace").rstrip().splitlines()[-lines:]
    return "\n".join(tail)


def workload_section(workload, run_dir):
    name = workload["workload"]
    result = workload.get("result")
    parts = ["<h2 id='%s'>%s %s</h2>" % (esc(name), esc(name), status_html(workload.get("status")))]
    if workload.get("status") != "SUCCEEDED":
        # The first line is Ray's verdict; the rest of a failed job's message repeats its log, shown below.
        message = display.first_line(workload.get("error") or workload.get("message")) or "no message from Ray"
        parts.append("<p>Ray said:</p><pre>%s</pre>" % esc(message))
        tail = log_tail(run_dir, name)
        if tail:
            parts.append("<p>Last lines of its log:</p><pre>%s</pre>" % esc(tail))
    if not isinstance(result, dict):
        parts.append("<p class='muted'>No result: the workload %s.</p>" % esc((workload.get("status") or "ERROR").lower()))
        return "".join(parts)
    shown = [(formatting.label(key), formatting.value(key, result[key])) for key in HEADLINES if key in result]
    places = where_it_ran(result)
    if places:
        shown.append(("ran on", places))
    if shown:
        parts.append(definitions(shown))
    for plot in plots.FOR_RESULT:
        image = plot(name, result, run_dir)
        if image:
            parts.append(figure(image, "%s: %s" % (name, plot.__doc__.split(",", maxsplit=1)[0].rstrip("."))))
    samples = result.get("samples")
    if isinstance(samples, list) and samples:
        parts.append("<details><summary>Sample answers</summary><pre>%s</pre></details>" % esc(
            "\n".join(str(sample) for sample in samples)))
    return "".join(parts)


def write_report(run_dir, summary=None):
    """Write run_dir/report.html and its plots (from `summary`, else from disk), then results/index.html beside
    the runs; return the page's path."""
    run_dir = Path(run_dir).resolve()
    run = summary or history.load_run(run_dir)
    body = "".join([
        "<p><a href='../index.html'>All runs</a></p>",
        run_header(run),
        cluster_section(run),
        workloads_table(run, run_dir),
        "".join(workload_section(workload, run_dir) for workload in run["workloads"]),
    ])
    path = write_atomically(run_dir / "report.html", page("raybook run %s" % run.get("run_id"), body))
    write_index(run_dir.parent)
    return path


# Every run: results/index.html.

HISTORY_COLUMNS = (
    ("status", None), ("duration", "duration_s"), ("final loss", "final_loss"), ("accuracy", "final_accuracy"),
    ("rows/s", "rows_per_s"), ("p50 ms", "p50_ms"), ("p95 ms", "p95_ms"),
)
HISTORY_FORMATS = {
    "duration_s": formatting.seconds, "final_accuracy": formatting.percent, "final_loss": formatting.number,
    "rows_per_s": formatting.number, "p50_ms": formatting.number, "p95_ms": formatting.number,
}


def write_index(results_dir):
    """Write results/index.html: a row per run with its headline numbers and what changed since the run before,
    and trend plots across runs. Returns its path, or None when there is no run."""
    results_dir = Path(results_dir).resolve()
    runs = history.list_runs(results_dir)
    if not runs:
        return None
    rows = []
    for index, run in enumerate(runs):
        numbers = history.metrics(run)
        link = "<a href='%s/report.html'>%s</a>" % (html.escape(run["run_id"]), esc(run["run_id"]))
        changed = history.changes(runs[index - 1], run) if index else []
        row = [link, "<span class='nowrap'>%s</span>" % esc(formatting.timestamp(run.get("started")))]
        row += [status_html(run.get("status")) if key is None else esc(HISTORY_FORMATS[key](numbers[key])) for _unused, key in HISTORY_COLUMNS]
        row.append(esc("; ".join(changed)) if changed else "<span class='muted'>%s</span>" % ("first run" if not index else "nothing"))
        rows.append(row)
    headers = ["run", "started"] + [name for name, _unused in HISTORY_COLUMNS] + ["changed since the run before"]
    body = ["<h1>raybook runs</h1><p>%d run(s) in %s; newest last.</p>" % (len(runs), esc(results_dir))]
    body.append(table(headers, rows, numeric=[name for name, key in HISTORY_COLUMNS if key]))
    if len(runs) > 1:
        image = plots.trends([history.metrics(run) for run in runs], results_dir / "trends.svg")
        body.append("<h2>Trends</h2>" + figure(image, "final loss, rows/s and latency across runs"))
    body.append("<p class='muted'>Two runs side by side: <code>raybook report --compare A B</code></p>")
    return write_atomically(results_dir / "index.html", page("raybook runs", "".join(body)))


# Two runs side by side: results/compare-<A>-<B>.html.

# (measure, metrics key, how a value is shown, the unit of its change, the scale of its change).
COMPARED = (
    ("duration", "duration_s", formatting.seconds, "s", 1), ("final loss", "final_loss", formatting.number, "", 1),
    ("final accuracy", "final_accuracy", formatting.percent, "points", 100),
    ("rows/s", "rows_per_s", formatting.number, "", 1),
    ("p50 latency", "p50_ms", lambda ms: formatting.with_unit(ms, "ms"), "ms", 1),
    ("p95 latency", "p95_ms", lambda ms: formatting.with_unit(ms, "ms"), "ms", 1),
    ("nodes", "nodes_alive", formatting.number, "", 1),
)


def scaled(value, scale):
    return value * scale if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def write_comparison(results_dir, first_id, second_id):
    """Write results/compare-<A>-<B>.html: both runs' numbers with their deltas, what changed between them,
    and both loss curves on one plot. Returns (path, rows) where rows are (measure, A, B, delta) as text."""
    results_dir = Path(results_dir).resolve()
    first_dir, second_dir = history.run_dir(results_dir, first_id), history.run_dir(results_dir, second_id)
    first, second = history.load_run(first_dir), history.load_run(second_dir)
    a, b = history.metrics(first), history.metrics(second)
    rows = [("status", first.get("status") or "-", second.get("status") or "-", "")]
    rows += [
        (label, show(a[key]), show(b[key]), formatting.delta(scaled(b[key], scale), scaled(a[key], scale), unit))
        for label, key, show, unit, scale in COMPARED
    ]
    changed = history.changes(first, second)
    stem = "compare-%s-%s" % (first_dir.name, second_dir.name)
    curves = [(run["run_id"], history.result_of(run, "loss_per_epoch").get("loss_per_epoch")) for run in (first, second)]
    image = plots.losses_side_by_side(curves, results_dir / (stem + "-loss.svg"))
    headers = ["measure", first_dir.name, second_dir.name, "change"]
    body = [
        "<p><a href='index.html'>All runs</a></p><h1>%s against %s</h1>" % (esc(second_dir.name), esc(first_dir.name)),
        table(headers, [[esc(cell) for cell in row] for row in rows], numeric=headers[1:]),
        "<h2>What changed</h2>",
        "<ul>%s</ul>" % "".join("<li>%s</li>" % esc(c) for c in changed) if changed else "<p>The same settings.</p>",
    ]
    if image:
        body.append("<h2>Training</h2>" + figure(image, "loss per epoch of both runs"))
    path = write_atomically(results_dir / (stem + ".html"), page("raybook: %s against %s" % (second_id, first_id), "".join(body)))
    return path, rows, changed
