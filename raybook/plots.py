"""The report's plots, as SVG files beside the page: they scale to any screen and print sharp. Each plot is drawn
from the result fields that call for it, whatever the workload is named."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "raybook", "font.size": 10})
BLUE, ORANGE, GREY = "#0969da", "#bc4c00", "#57606a"


def _save(figure, path):
    figure.tight_layout()
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)
    return path.name


def _numbers(values):
    return isinstance(values, list) and values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def training(name, result, out_dir):
    """Loss (left axis) and accuracy (right axis) per epoch."""
    losses = result.get("loss_per_epoch")
    if not _numbers(losses):
        return None
    epochs = range(1, len(losses) + 1)
    figure, loss_axes = plt.subplots(figsize=(6.4, 3.4))
    loss_axes.plot(epochs, losses, marker="o", color=BLUE, label="loss")
    loss_axes.set(title="%s: loss and accuracy per epoch" % name, xlabel="epoch", ylabel="cross-entropy loss")
    loss_axes.grid(alpha=0.3)
    handles = loss_axes.get_lines()
    accuracy = result.get("accuracy_per_epoch")
    if _numbers(accuracy) and len(accuracy) == len(losses):
        accuracy_axes = loss_axes.twinx()
        handles += accuracy_axes.plot(epochs, [a * 100 for a in accuracy], marker="s", color=ORANGE, label="accuracy")
        accuracy_axes.set(ylabel="accuracy (%)", ylim=(0, 100))
    loss_axes.legend(handles=handles, loc="center right")
    return _save(figure, out_dir / ("%s-training.svg" % name))


def throughput(name, result, out_dir):
    """Rows per second of each batch against seconds into the job, one line per actor."""
    batches = [b for b in result.get("batches") or [] if isinstance(b, dict) and _numbers([b.get("at_s"), b.get("rows_per_s")])]
    if not batches:
        return None
    figure, axes = plt.subplots(figsize=(6.4, 3.2))
    for actor in sorted({str(b.get("actor")) for b in batches}):
        mine = [b for b in batches if str(b.get("actor")) == actor]
        axes.plot([b["at_s"] for b in mine], [b["rows_per_s"] for b in mine], marker="o", label="actor %s" % actor)
    axes.set(title="%s: rows/s of each batch over time" % name, xlabel="seconds into the job", ylabel="rows/s (model)")
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _: "{:,.0f}".format(value)))
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return _save(figure, out_dir / ("%s-throughput.svg" % name))


def class_accuracy(name, result, out_dir):
    """Accuracy of each class, as bars labelled with their percentage."""
    shares = result.get("accuracy_per_class")
    if not isinstance(shares, dict) or not shares or not _numbers(list(shares.values())):
        return None
    labels = sorted(shares, key=lambda label: (len(label), label))
    figure, axes = plt.subplots(figsize=(6.4, 2.6))
    bars = axes.bar(["class %s" % label for label in labels], [shares[label] * 100 for label in labels], color=BLUE)
    axes.bar_label(bars, fmt="%.1f %%")
    axes.set(title="%s: accuracy per class" % name, ylabel="accuracy (%)", ylim=(0, 110))
    return _save(figure, out_dir / ("%s-accuracy.svg" % name))


def latency(name, result, out_dir):
    """A histogram of request latencies with p50 and p95 marked."""
    latencies = result.get("latencies_ms")
    if not _numbers(latencies):
        return None
    figure, axes = plt.subplots(figsize=(6.4, 3.2))
    axes.hist(latencies, bins=min(30, max(5, len(latencies) // 3)), color=BLUE, alpha=0.8)
    marks = result.get("latency_ms") if isinstance(result.get("latency_ms"), dict) else {}
    for label, colour in (("p50", ORANGE), ("p95", GREY)):
        if _numbers([marks.get(label)]):
            axes.axvline(marks[label], color=colour, linestyle="--", label="%s %.1f ms" % (label, marks[label]))
    axes.set(title="%s: latency of %d requests" % (name, len(latencies)), xlabel="ms", ylabel="requests")
    if axes.get_legend_handles_labels()[0]:
        axes.legend()
    return _save(figure, out_dir / ("%s-latency.svg" % name))


# Every plot a workload's result may call for, in the order they are shown.
FOR_RESULT = (training, throughput, class_accuracy, latency)


def trends(runs_metrics, out_path):
    """Across runs, oldest first: final loss, rows/s and p50/p95 latency, one panel each."""
    panels = (
        ("final loss", [("final loss", "final_loss")]),
        ("rows/s", [("rows/s", "rows_per_s")]),
        ("latency (ms)", [("p50", "p50_ms"), ("p95", "p95_ms")]),
    )
    figure, axes_row = plt.subplots(1, 3, figsize=(9.6, 2.8))
    for axes, (title, series) in zip(axes_row, panels):
        for label, key in series:
            points = [(i + 1, m[key]) for i, m in enumerate(runs_metrics) if _numbers([m.get(key)])]
            if points:
                axes.plot(*zip(*points), marker="o", label=label)
        axes.set(title=title, xlabel="run")
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.grid(alpha=0.3)
        if len(series) > 1 and axes.get_legend_handles_labels()[0]:
            axes.legend(fontsize=8)
    return _save(figure, out_path)


def losses_side_by_side(curves, out_path):
    """Two or more runs' loss per epoch on one plot: curves is [(run id, [loss, ...]), ...]."""
    curves = [(run_id, losses) for run_id, losses in curves if _numbers(losses)]
    if not curves:
        return None
    figure, axes = plt.subplots(figsize=(6.4, 3.4))
    for run_id, losses in curves:
        axes.plot(range(1, len(losses) + 1), losses, marker="o", label=run_id)
    axes.set(title="training loss per epoch", xlabel="epoch", ylabel="cross-entropy loss")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return _save(figure, out_path)
