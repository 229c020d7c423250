"""The report, the run history and the comparison, on runs recorded from real `make demo` / `raybook run` runs
(tests/fixtures/results, see its README) and on hand-made broken ones."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from raybook import formatting, history, report
from tests.helpers import PROJECT_DIR, VENV_BIN

FIXTURE_RESULTS = PROJECT_DIR / "tests" / "fixtures" / "results"
TEN_EPOCHS, SIX_EPOCHS, FAILED = "20261126-155455-6d2d", "20261126-155619-48a5", "20261126-160000-fail"


@pytest.fixture
def results(tmp_path):
    """A results folder holding the recorded runs, as `raybook run` leaves it (latest -> the newest run)."""
    folder = tmp_path / "results"
    shutil.copytree(FIXTURE_RESULTS, folder, ignore=shutil.ignore_patterns("README.md"))
    (folder / "latest").symlink_to(FAILED)
    return folder


def raybook(*args):
    return subprocess.run([str(VENV_BIN / "raybook"), *args], check=False, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "function, raw, text",
    [
        (formatting.number, 0.9933333333333333, "0.993"),
        (formatting.number, 12345.6, "12,346"),
        (formatting.number, 0.051908094704151156, "0.0519"),
        (formatting.number, 2.0, "2"),
        (formatting.number, 0, "0"),
        (formatting.percent, 0.9933333333333333, "99.3 %"),
        (formatting.seconds, 4.234, "4.2 s"),
        (formatting.seconds, 35.464, "35.5 s"),
        (formatting.seconds, 95, "1 min 35 s"),
        (formatting.seconds, 3725, "1 h 02 min"),
        (formatting.gib, 17257327002, "16.1 GiB"),
        (formatting.latency, {"max": 20.95, "p50": 11.92, "p95": 17.23}, "p50 11.9 ms · p95 17.2 ms · max 20.9 ms"),
        (formatting.timestamp, "2026-11-26T15:54:55Z", "2026-11-26 15:54 UTC"),
    ],
)
def test_numbers_are_rounded_and_carry_their_unit(function, raw, text):
    assert function(raw) == text


@pytest.mark.parametrize("raw", [None, "fast", float("nan"), float("inf"), True, [1], {}])
def test_what_is_not_a_number_shows_as_a_dash(raw):
    for function in (formatting.number, formatting.percent, formatting.seconds, formatting.gib):
        assert function(raw) == "-"
    assert formatting.delta(raw, 1.0) == formatting.delta(1.0, raw) == "-"


def test_a_change_is_signed_with_its_unit_and_relative_size():
    assert formatting.delta(71, 75, "s") == "-4 s (-5.3 %)"
    assert formatting.delta(0.304, 0.0519) == "+0.252 (+485.7 %)"
    assert formatting.delta(1, 1) == "±0 (+0.0 %)"
    assert formatting.delta(3, 0) == "+3"  # no relative size against zero


def test_runs_are_listed_oldest_first_with_their_headline_numbers(results):
    (results / "not-a-run").mkdir()  # a stray folder is not a run
    runs = history.list_runs(results)
    assert [run["run_id"] for run in runs] == [TEN_EPOCHS, SIX_EPOCHS, FAILED]
    numbers = history.metrics(runs[0])
    assert numbers["status"] == "SUCCEEDED" and numbers["duration_s"] == 70.0
    assert round(numbers["final_loss"], 4) == 0.0519 and numbers["rows_per_s"] == 1669.2
    assert (numbers["p50_ms"], numbers["p95_ms"], numbers["nodes_alive"]) == (6.38, 10.95, 1)
    assert history.metrics(runs[2])["final_loss"] is None  # that run had no training


def test_runs_are_told_apart_by_what_changed(results):
    ten, six, failed = history.list_runs(results)
    assert history.changes(ten, six) == ["train.entrypoint 'python train.py --epochs 10' -> 'python train.py --epochs 6'"]
    assert history.changes(ten, ten) == []
    changed = history.changes(six, failed)
    assert "boom.entrypoint 'python boom.py' (new)" in changed and "train.entrypoint removed" in changed


@pytest.mark.parametrize("run_id", ["../etc", "..", ".hidden", "a/b", "", "latest/../.."])
def test_a_run_id_never_leaves_the_results_folder(results, run_id):
    with pytest.raises(history.ReportError, match="^run id: "):
        history.run_dir(results, run_id)


def test_latest_pointing_outside_the_results_folder_is_refused(results):
    (results / "latest").unlink()
    (results / "latest").symlink_to("/etc")
    with pytest.raises(history.ReportError, match="points outside"):
        history.run_dir(results, "latest")


def test_the_run_page_reads_at_a_glance(results):
    page = report.write_report(results / TEN_EPOCHS).read_text()
    text = re.sub(r"<[^>]+>", " ", page)
    for shown in ("2026-11-26 15:55 UTC", "1 min 10 s", "2.60.0", "baremetal", "SUCCEEDED",  # the header
                  "192.0.2.2", "16.1 GiB",  # the cluster, from smoke
                  "99.3 %", "0.0519", "1,669 rows/s", "p50 6.38 ms · p95 10.9 ms · max 14.9 ms", "cpu on 192.0.2.2"):
        assert shown in text, shown
    assert "0.9933333" not in page and "{'max'" not in page and "num_cpus" not in page
    for workload in ("smoke", "train", "infer", "serve"):
        assert "href='%s/logs.txt'" % workload in page and "href='%s/result.json'" % workload in page
    images = re.findall(r"<img src='([^']+)'", page)
    assert images == ["train-training.svg", "infer-throughput.svg", "infer-accuracy.svg", "serve-latency.svg"]
    for image in images:
        assert (results / TEN_EPOCHS / image).read_text().lstrip().startswith("<?xml")
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)  # nothing from the network


def test_a_failed_workload_shows_rays_verdict_and_its_last_log_lines(results):
    page = report.write_report(results / FAILED).read_text()
    assert "Ray job raybook-20261126-160000-fail-boom FAILED: Job entrypoint command failed with exit code 1" in page
    assert "RuntimeError: the data file is missing: /data/train.csv" in page
    assert "step 3 of 3" in page
    assert "No result: the workload failed." in page


def test_a_partial_or_broken_result_is_shown_as_missing_not_raised(results):
    run = results / SIX_EPOCHS
    (run / "train" / "result.json").write_text(json.dumps({"loss_per_epoch": "oops", "epochs": None}))
    (run / "infer" / "result.json").write_text("{truncated")
    serve = json.loads((run / "serve" / "result.json").read_text())
    del serve["latency_ms"], serve["devices"]
    serve["latencies_ms"] = [1.0, "x"]
    (run / "serve" / "result.json").write_text(json.dumps(serve))
    summary = json.loads((run / "summary.json").read_text())
    summary["workloads"].append({"status": "SUCCEEDED"})  # no name: not a workload
    del summary["ray_version"]
    (run / "summary.json").write_text(json.dumps(summary))
    page = report.write_report(run).read_text()
    assert "<img" not in page
    assert "No result: the workload succeeded." in page  # infer's result.json is unreadable
    assert re.search(r"<dt>Ray</dt><dd>-</dd>", page)


def test_a_run_cut_short_says_so(results):
    (results / SIX_EPOCHS / "COMPLETE").unlink()
    assert "Incomplete: the run stopped before its results were all written" in report.write_report(results / SIX_EPOCHS).read_text()
    assert "Incomplete" not in report.write_report(results / TEN_EPOCHS).read_text()


def test_the_page_is_replaced_whole(results):
    """Written to a temporary file and renamed: a reader sees the old page or the new one, never half of one."""
    page = report.write_report(results / TEN_EPOCHS)
    before = page.stat().st_ino
    report.write_report(results / TEN_EPOCHS)
    assert page.stat().st_ino != before
    assert not [p for p in page.parent.iterdir() if p.name.startswith(".report.html")]


def test_the_index_lists_every_run_with_what_changed_and_trends(results):
    index = report.write_index(results)
    page = index.read_text()
    rows = re.findall(r"<tr><td><a href='([^']+)/report.html'>", page)
    assert rows == [TEN_EPOCHS, SIX_EPOCHS, FAILED]
    assert "first run" in page
    assert "train.entrypoint &#x27;python train.py --epochs 10&#x27; -&gt; &#x27;python train.py --epochs 6&#x27;" in page
    assert "<img src='trends.svg'" in page and (results / "trends.svg").is_file()


def test_two_runs_side_by_side(results):
    path, rows, changed = report.write_comparison(results, TEN_EPOCHS, SIX_EPOCHS)
    assert path == results / ("compare-%s-%s.html" % (TEN_EPOCHS, SIX_EPOCHS))
    measures = {row[0]: row[1:] for row in rows}
    assert measures["final loss"] == ("0.0519", "0.304", "+0.252 (+485.3 %)")
    assert measures["final accuracy"] == ("99.3 %", "89.5 %", "-9.87 points (-9.9 %)")
    assert measures["duration"] == ("1 min 10 s", "1 min 04 s", "-6 s (-8.6 %)")
    assert changed == ["train.entrypoint 'python train.py --epochs 10' -> 'python train.py --epochs 6'"]
    page = path.read_text()
    assert "<img src='compare-%s-%s-loss.svg'" % (TEN_EPOCHS, SIX_EPOCHS) in page
    svg = (results / ("compare-%s-%s-loss.svg" % (TEN_EPOCHS, SIX_EPOCHS))).read_text()
    assert TEN_EPOCHS in svg and SIX_EPOCHS in svg  # both curves, labelled


def test_raybook_runs_lists_them_and_says_so_when_there_are_none(results, tmp_path):
    completed = raybook("runs", "--results-dir", str(results))
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].split()[:3] == ["RUN", "STARTED", "STATUS"]
    assert [line.split()[0] for line in lines[1:]] == [TEN_EPOCHS, SIX_EPOCHS, FAILED]
    assert "1 min 10 s  0.0519" in lines[1]
    document = json.loads(raybook("runs", "--json", "--results-dir", str(results)).stdout)
    assert [run["run_id"] for run in document["runs"]] == [TEN_EPOCHS, SIX_EPOCHS, FAILED]
    empty = raybook("runs", "--results-dir", str(tmp_path / "none"))
    assert empty.returncode == 0 and empty.stdout.strip() == "no runs yet"


def test_raybook_logs_prints_a_finished_workloads_log(results):
    completed = raybook("logs", "boom", "--results-dir", str(results))  # the latest run
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == (results / FAILED / "boom" / "logs.txt").read_text()
    completed = raybook("logs", "train", "--run", TEN_EPOCHS, "--results-dir", str(results))
    assert "RAYBOOK_RESULT " in completed.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["logs", "nope"], "error: no logs of 'nope' in run %s (its workloads: smoke, boom)" % FAILED),
        (["logs", "../../etc"], "error: workload: expected a folder name"),
        (["logs", "smoke", "--run", "missing"], "error: no run at "),
        (["report", "../../etc"], "error: run id: expected a folder name"),
        (["report", "--compare", TEN_EPOCHS, "missing"], "error: no run at "),
    ],
)
def test_results_commands_fail_in_one_line(results, args, message):
    completed = raybook(*args, "--results-dir", str(results))
    assert completed.returncode == 1
    assert completed.stderr.startswith(message) and len(completed.stderr.strip().splitlines()) == 1
    assert completed.stdout == ""


def test_raybook_report_compare_prints_the_table_and_writes_the_page(results):
    completed = raybook("report", "--compare", TEN_EPOCHS, SIX_EPOCHS, "--results-dir", str(results))
    assert completed.returncode == 0, completed.stderr
    assert "final loss      0.0519      0.304       +0.252 (+485.3 %)" in completed.stdout
    assert "changed: train.entrypoint 'python train.py --epochs 10' -> 'python train.py --epochs 6'" in completed.stdout
    assert Path(completed.stdout.splitlines()[-1].split(": ", 1)[1]).is_file()
