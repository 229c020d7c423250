"""Unit tests of the raybook CLI: argument handling, run ids, event handling and tables."""

import re
import subprocess

import pytest

from raybook import cli, display, runner
from tests.helpers import VENV_BIN


def raybook(*args):
    return subprocess.run([str(VENV_BIN / "raybook"), *args], check=False, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["bogus"], "invalid choice: 'bogus'"),
        ([], "the following arguments are required: COMMAND"),
        (["run", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
        (["status", "-i", "/no/such/inventory.yml"], "inventory: no such file: /no/such/inventory.yml"),
    ],
)
def test_bad_usage_exits_2_with_one_line(args, expected):
    completed = raybook(*args)
    assert completed.returncode == 2
    assert expected in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
    assert completed.stdout == ""


def test_every_run_gets_a_new_sortable_id():
    ids = {cli.new_run_id() for _unused in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{4}", run_id) for run_id in ids)


def test_host_counts_merge_ansible_runner_stats():
    stats = {"ok": {"a": 3, "b": 1}, "changed": {"a": 1}, "failures": {"b": 1}, "dark": {}, "skipped": {}, "processed": {"a": 1, "b": 1, "c": 1}}
    assert runner.host_counts(stats) == {
        "a": {"ok": 3, "changed": 1, "failed": 0, "unreachable": 0, "skipped": 0},
        "b": {"ok": 1, "changed": 0, "failed": 1, "unreachable": 0, "skipped": 0},
        "c": {"ok": 0, "changed": 0, "failed": 0, "unreachable": 0, "skipped": 0},
    }


class Recorder(display.Progress):
    def __init__(self):
        super().__init__(enabled=False)
        self.tasks, self.failures = [], []

    def task(self, task_name):
        self.tasks.append(task_name)

    def failure(self, failure):
        self.failures.append(failure)


def test_a_failed_loop_reports_its_item_message_not_ansibles_summary():
    outcome, progress = runner.Outcome(name="p"), Recorder()
    collect = runner.Collector(outcome, progress)
    collect({"event": "playbook_on_task_start", "event_data": {"task": "Check things"}})
    collect({"event": "runner_item_on_failed", "event_data": {"host": "h", "task": "Check things", "res": {"msg": "field: bad\nmore"}}})
    collect({"event": "runner_on_failed", "event_data": {"host": "h", "task": "Check things", "res": {"msg": "One or more items failed"}}})
    collect({"event": "runner_on_failed", "event_data": {"host": "h", "task": "Ignored", "ignore_errors": True, "res": {"msg": "x"}}})
    assert progress.tasks == ["Check things"]
    assert [(f["host"], f["task"], f["msg"]) for f in outcome.failures] == [("h", "Check things", "field: bad")]
    assert not outcome.ok


def test_tables_align_columns_and_show_missing_values_as_dashes():
    text = display.table(["NAME", "N"], [["a", 1], ["long-name", 10], [None, 2]])
    assert text.splitlines() == ["NAME        N", "a           1", "long-name  10", "-           2"]


def test_workloads_and_nodes_tables():
    workloads = display.workloads_table(
        [{"workload": "smoke", "status": "SUCCEEDED", "duration_s": 2.5, "submission_id": "raybook-x-smoke", "message": "ok"}]
    )
    assert "smoke     SUCCEEDED" in workloads
    nodes = display.nodes_table(
        {"nodes": [{"node_ip": "127.0.0.2", "is_head": False, "node_id": "abcdef0123456789", "resources": {"CPU": 1.0, "memory": 2**31}}]}
    )
    assert nodes.splitlines()[1].split() == ["127.0.0.2", "worker", "1.0", "0", "2.0", "abcdef012345"]


def test_report_of_a_missing_or_broken_run_fails_in_one_line(tmp_path):
    completed = raybook("report", "nope", "--results-dir", str(tmp_path))
    assert completed.returncode == 1
    assert completed.stderr.strip() == "error: no run at %s/nope (summary.json is missing)" % tmp_path
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "summary.json").write_text("{not json")
    completed = raybook("report", "broken", "--results-dir", str(tmp_path))
    assert completed.returncode == 1
    assert completed.stderr.startswith("error: %s/broken/summary.json: not JSON (" % tmp_path)
    assert len(completed.stderr.strip().splitlines()) == 1


def test_failures_a_rescue_recovered_from_are_not_reported():
    wrapped = dict(host="h1", task="parse", msg="Task failed: Finalization of task args ... failed: x: bad", detail="")
    clean = dict(host="h1", task="say why", msg="x: bad", detail="")
    gone = dict(host="h2", task="ping", msg="unreachable", detail="")
    hosts = {"h1": dict(ok=3, changed=0, failed=1, unreachable=0, skipped=0),
             "h2": dict(ok=0, changed=0, failed=0, unreachable=1, skipped=0)}
    assert runner.unrescued([wrapped, clean, gone], hosts) == [clean, gone]
    recovered = dict(hosts, h1=dict(hosts["h1"], failed=0))
    assert runner.unrescued([wrapped, gone], recovered) == [gone]


def test_each_run_keeps_its_ansible_runner_folder_privately_and_the_oldest_go(tmp_path):
    runs = tmp_path / ".raybook" / "runs"
    folders = [runner.runner_folder("playbooks/site.yml", runs_dir=runs, kept=3) for _unused in range(5)]
    assert [path.exists() for path in folders] == [False, False, True, True, True]
    assert all(path.name.endswith("-site") for path in folders)
    assert len({path.name for path in folders}) == 5  # one folder per call, even within a second
    assert {oct(path.stat().st_mode & 0o777) for path in (runs.parent, runs, folders[-1])} == {"0o700"}


def test_a_failed_cli_run_names_ansible_runners_record_before_its_error():
    completed = raybook("run", "no-such-workload", "-q")
    assert completed.returncode == 1
    record, error = completed.stderr.strip().splitlines()[-2:]
    assert record.startswith("ansible-runner's record of playbooks/workloads.yml: %s/.raybook/runs/" % runner.PROJECT_DIR)
    assert (runner.PROJECT_DIR / record.split(": ", 1)[1] / "artifacts").is_dir()
    assert error.startswith("error: ")
