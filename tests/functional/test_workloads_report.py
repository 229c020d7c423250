"""ray_workloads's report step (a plain ansible-playbook run writes report.html and the history page) on a recorded
run (tests/fixtures/results), with the project's Python, which has the raybook package, and with Debian's, which
has not."""

import json
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUN_ID = "20261126-155455-6d2d"


@pytest.fixture
def results(tmp_path):
    shutil.copytree(ROOT / "tests" / "fixtures" / "results", tmp_path / "results", ignore=shutil.ignore_patterns("README.md"))
    return tmp_path / "results"


def report_step(results, python):
    env = {"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
           "PATH": f"{pathlib.Path(sys.executable).parent}:/usr/bin:/bin"}
    extra = {"raybook_run_id": RUN_ID, "raybook_results_dir": str(results), "ray_workloads_report_python": python}
    completed = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "tests/playbooks/workloads_report.yml",
         "-i", "inventory/local.yml", "-e", json.dumps(extra)],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    report = json.loads(completed.stdout)
    results_by_task = {task["task"]["name"].split(" : ")[-1]: task["hosts"]["localhost"]
                       for play in report["plays"] for task in play["tasks"]}
    return completed.returncode, results_by_task


def test_a_plain_playbook_run_writes_the_report_and_the_history_page(results):
    rc, tasks = report_step(results, sys.executable)
    assert rc == 0, tasks
    assert tasks["Write the run's report and the history page"]["changed"]
    assert "<html" in (results / RUN_ID / "report.html").read_text()
    assert f"{RUN_ID}/report.html" in (results / "index.html").read_text()
    assert tasks["Say how to make the report where the controller cannot"].get("skipped")


@pytest.mark.skipif(not pathlib.Path("/usr/bin/python3").exists(), reason="needs a Python without the raybook package")
def test_a_controller_without_the_raybook_package_is_told_how_to_make_the_report(results):
    rc, tasks = report_step(results, "/usr/bin/python3")
    assert rc == 0, tasks
    assert tasks["Say how to make the report where the controller cannot"]["msg"] == (
        f"no report written: the raybook package is not installed for /usr/bin/python3; install it (pip install raybook) "
        f"and run: raybook report {RUN_ID} --results-dir {results}")
    assert not (results / RUN_ID / "report.html").exists()
