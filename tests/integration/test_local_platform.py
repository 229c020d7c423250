"""site.yml on the default inventory (one head on localhost), the Ray modules and the CLI, all for real."""

import json
import subprocess

import pytest

from tests.conftest import DASHBOARD, LOCAL_INVENTORY, VENV_BIN, run_module, run_playbook, total


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("results")


@pytest.fixture(scope="module")
def first_site_run(results_dir):
    return run_playbook("site.yml", raybook_results_dir=str(results_dir))


def test_site_brings_up_ray_and_runs_the_smoke_workload(first_site_run, results_dir):
    assert first_site_run.ok, first_site_run.failures
    assert total(first_site_run, "changed") > 0
    smoke = results_dir / "site" / "smoke"
    job = json.loads((smoke / "job.json").read_text())
    assert job["status"] == "SUCCEEDED" and job["submission_id"] == "raybook-site-smoke"
    result = json.loads((smoke / "result.json").read_text())
    assert result["nodes_alive"] == 1
    assert result["cluster_resources"]["CPU"] >= 1
    assert result["ray_version"] == "2.60.0"
    assert "RAYBOOK_RESULT" in (smoke / "logs.txt").read_text()
    assert (results_dir / "latest").resolve() == (results_dir / "site").resolve()
    summary = json.loads((results_dir / "site" / "summary.json").read_text())
    assert summary["status"] == "SUCCEEDED" and [w["workload"] for w in summary["workloads"]] == ["smoke"]


def test_a_second_site_run_changes_nothing(first_site_run, results_dir):
    again = run_playbook("site.yml", raybook_results_dir=str(results_dir))
    assert again.ok, again.failures
    assert total(again, "changed") == 0, again.hosts


def test_rays_own_cli_lists_the_smoke_job(first_site_run):
    completed = subprocess.run(
        [str(VENV_BIN / "ray"), "job", "list", "--address", DASHBOARD], capture_output=True, text=True, check=True
    )
    assert "submission_id='raybook-site-smoke'" in completed.stdout


def test_cluster_info_reports_the_head(first_site_run):
    rc, info = run_module("ray_cluster_info", {"address": DASHBOARD})
    assert rc == 0
    assert info["nodes_alive"] == 1 and info["nodes"][0]["is_head"]
    assert info["ray_version"] == "2.60.0"
    assert info["resources_total"]["CPU"] >= 1 and "memory" in info["resources_total"]


def test_job_info_lists_jobs_and_reads_one_with_its_result(first_site_run):
    rc, listing = run_module("ray_job_info", {})
    assert rc == 0 and "raybook-site-smoke" in [job["submission_id"] for job in listing["jobs"]]
    rc, one = run_module("ray_job_info", {"submission_id": "raybook-site-smoke", "logs": True, "log_tail_lines": 5})
    assert rc == 0 and len(one["jobs"]) == 1
    assert one["jobs"][0]["result"]["nodes_alive"] == 1
    assert len(one["jobs"][0]["logs"].splitlines()) <= 5
    rc, none = run_module("ray_job_info", {"submission_id": "no-such-job"})
    assert rc == 0 and none["jobs"] == []


def test_a_failing_job_fails_the_task_with_rays_message_and_the_log_tail(first_site_run):
    rc, result = run_module(
        "ray_job",
        {"submission_id": "it-fails", "entrypoint": "python -c \"print('about to fail'); raise SystemExit(3)\"", "timeout": 120},
    )
    assert rc != 0 and result["status"] == "FAILED" and result["driver_exit_code"] == 3
    assert result["msg"].startswith("Ray job it-fails FAILED: ")
    assert "about to fail" in result["msg"]


def test_check_mode_submits_nothing(first_site_run):
    rc, result = run_module("ray_job", {"submission_id": "check-only", "entrypoint": "python -c 'pass'"}, check=True)
    assert rc == 0 and result["changed"] is True
    _, info = run_module("ray_job_info", {"submission_id": "check-only"})
    assert info["jobs"] == []


def test_a_job_past_its_timeout_is_stopped_and_fails_the_task(first_site_run):
    rc, result = run_module("ray_job", {"submission_id": "too-slow", "entrypoint": "sleep 120", "timeout": 8})
    assert rc != 0
    assert result["msg"] == "job too-slow did not finish within 8s (stopped)"
    _, info = run_module("ray_job_info", {"submission_id": "too-slow"})
    assert info["jobs"][0]["status"] == "STOPPED"


def test_state_absent_deletes_a_job_once(first_site_run):
    rc, first = run_module("ray_job", {"submission_id": "it-fails", "state": "absent"})
    assert rc == 0 and first["changed"] is True
    rc, second = run_module("ray_job", {"submission_id": "it-fails", "state": "absent"})
    assert rc == 0 and second["changed"] is False


def raybook(*args):
    return subprocess.run([str(VENV_BIN / "raybook"), *args], capture_output=True, text=True, timeout=600)


def test_raybook_run_makes_a_new_run_id_each_time(first_site_run, tmp_path):
    runs = []
    for _ in range(2):
        completed = raybook("run", "smoke", "--json", "--results-dir", str(tmp_path), "-i", str(LOCAL_INVENTORY))
        assert completed.returncode == 0, completed.stderr
        runs.append(json.loads(completed.stdout))
    assert runs[0]["run_id"] != runs[1]["run_id"]
    for run in runs:
        assert run["ok"] is True
        assert [(w["workload"], w["status"]) for w in run["workloads"]] == [("smoke", "SUCCEEDED")]
        assert (tmp_path / run["run_id"] / "smoke" / "result.json").is_file()


def test_raybook_status_prints_the_nodes(first_site_run):
    completed = raybook("status")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("Ray 2.60.0, 1 node(s) alive\nNODE IP")
    assert " head " in completed.stdout


def test_raybook_run_of_an_unknown_workload_fails_in_one_line(first_site_run, tmp_path):
    completed = raybook("run", "no-such-workload", "-q", "--results-dir", str(tmp_path))
    assert completed.returncode == 1
    assert completed.stderr.strip() == (
        "error: localhost: raybook_workloads: no workload 'no-such-workload' "
        "(%s/workloads/no-such-workload/workload.yml is missing)" % LOCAL_INVENTORY.parent.parent
    )


def test_down_stops_ray_and_a_second_down_changes_nothing(first_site_run):
    down = run_playbook("playbooks/down.yml")
    assert down.ok and total(down, "changed") == 1
    rc, result = run_module("ray_cluster_info", {"address": DASHBOARD, "timeout": 0})
    assert rc != 0 and "unreachable" in result["msg"]
    again = run_playbook("playbooks/down.yml")
    assert again.ok and total(again, "changed") == 0
