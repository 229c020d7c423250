"""site.yml on the default inventory (one head on localhost), the Ray modules and the CLI, all for real."""

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers import (
    DASHBOARD, GPU_LOCAL_INVENTORY, LOCAL_INVENTORY, PROJECT_DIR, TOKEN_FILE, VENV_BIN, run_module, run_playbook, total,
)


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("results")


@pytest.fixture(scope="module")
def site_vars(results_dir, tmp_path_factory):
    return {"raybook_results_dir": str(results_dir), "raybook_storage_path": str(tmp_path_factory.mktemp("storage"))}


@pytest.fixture(scope="module")
def first_site_run(site_vars):
    return run_playbook("site.yml", **site_vars)


def load(path):
    return json.loads(path.read_text())


def test_site_brings_up_ray_and_runs_smoke_train_infer_and_serve(first_site_run, results_dir):
    assert first_site_run.ok, first_site_run.failures
    assert total(first_site_run, "changed") > 0
    summary = load(results_dir / "site" / "summary.json")
    assert summary["status"] == "SUCCEEDED"
    assert [(w["workload"], w["status"]) for w in summary["workloads"]] == [
        ("smoke", "SUCCEEDED"), ("train", "SUCCEEDED"), ("infer", "SUCCEEDED"), ("serve", "SUCCEEDED")
    ]
    smoke = load(results_dir / "site" / "smoke" / "result.json")
    assert smoke["nodes_alive"] == 1 and smoke["cluster_resources"]["CPU"] >= 1 and smoke["ray_version"] == "2.60.0"
    for workload in ("smoke", "train", "infer", "serve"):
        job = load(results_dir / "site" / workload / "job.json")
        assert job["submission_id"] == "raybook-site-" + workload and job["driver_exit_code"] == 0
        assert "RAYBOOK_RESULT" in (results_dir / "site" / workload / "logs.txt").read_text()
    assert (results_dir / "latest").resolve() == (results_dir / "site").resolve()
    # A plain ansible-playbook run writes the report and the history page too, not only the CLI.
    assert "smoke" in (results_dir / "site" / "report.html").read_text()
    assert "site/report.html" in (results_dir / "index.html").read_text()


def test_training_loss_falls_and_a_checkpoint_lands_under_the_storage_path(first_site_run, results_dir, site_vars):
    train = load(results_dir / "site" / "train" / "result.json")
    losses = train["loss_per_epoch"]
    assert train["epochs"] == len(losses) == 10 and train["workers"] == 2 and train["use_gpu"] is False
    assert losses[-1] < losses[0] / 4, losses
    assert train["final_accuracy"] > 0.9
    assert train["max_failures"] >= 1
    checkpoint = Path(train["checkpoint"])
    assert checkpoint.is_relative_to(site_vars["raybook_storage_path"]) and (checkpoint / "model.pt").is_file()


def test_inference_classifies_every_row_with_the_trained_model(first_site_run, results_dir):
    train = load(results_dir / "site" / "train" / "result.json")
    infer = load(results_dir / "site" / "infer" / "result.json")
    assert infer["rows"] == infer["rows_expected"] == 5000
    assert infer["rows_per_s"] > 0 and infer["actors"] == 2
    assert infer["model"] == train["checkpoint"]
    assert infer["accuracy"] > 0.9
    assert len(infer["samples"]) == 5


def test_serve_answers_match_the_model_and_stay_deployed(first_site_run, results_dir):
    train = load(results_dir / "site" / "train" / "result.json")
    serve = load(results_dir / "site" / "serve" / "result.json")
    assert serve["answers"] == serve["matching_answers"] == 200
    assert serve["served_models"] == [train["checkpoint"]]
    assert serve["latency_ms"]["p50"] <= serve["latency_ms"]["p95"] <= serve["latency_ms"]["max"]
    record = load(results_dir / "site" / "serve" / "job.json")
    assert record["serve"]["status"] == "RUNNING" and record["serve"]["route_prefix"] == "/classify"


def test_the_report_has_the_jobs_and_its_plots_and_needs_no_network(first_site_run, results_dir):
    completed = raybook("report", "site", "--results-dir", str(results_dir), "--json")
    assert completed.returncode == 0, completed.stderr
    page_path = Path(json.loads(completed.stdout)["report"])
    assert page_path == results_dir / "site" / "report.html"
    page = page_path.read_text()
    for workload in ("smoke", "train", "infer", "serve"):
        assert "href='%s/logs.txt'" % workload in page
    images = re.findall(r"<img src='([^']+)'", page)
    assert images == ["train-training.svg", "infer-throughput.svg", "infer-accuracy.svg", "serve-latency.svg"]
    for image in images:
        assert (results_dir / "site" / image).read_text().lstrip().startswith("<?xml")
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)
    summary = load(results_dir / "site" / "summary.json")
    assert summary["ray_version"] == "2.60.0" and summary["nodes_alive"] == 1 and summary["platform"] == "baremetal"
    assert set(summary["settings"]) == {"smoke", "train", "infer", "serve"}
    assert "Ray 2.60.0" in page.replace("<dt>Ray</dt><dd>", "Ray ") and " UTC</dd>" in page  # started, from the jobs
    smoke = load(results_dir / "site" / "smoke" / "result.json")
    assert [(node["is_head"], node["cpus"]) for node in smoke["nodes"]] == [(True, 2.0)]
    assert "<a href='site/report.html'>site</a>" in (results_dir / "index.html").read_text()


def test_raybook_logs_prints_a_real_jobs_log(first_site_run, results_dir):
    completed = raybook("logs", "smoke", "--run", "site", "--results-dir", str(results_dir))
    assert completed.returncode == 0, completed.stderr
    assert "RAYBOOK_RESULT " in completed.stdout


def test_raybook_up_check_changes_nothing_on_a_running_cluster(first_site_run):
    completed = raybook("up", "--check", "-q")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("check mode: nothing was changed. Nothing would change.\n")


def test_workloads_in_check_mode_say_what_would_run_and_submit_or_write_nothing(first_site_run, site_vars, tmp_path):
    settings = {**site_vars, "raybook_results_dir": str(tmp_path / "results"), "raybook_run_id": "check-only",
                "raybook_workloads": ["smoke", "train"]}
    completed = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", str(LOCAL_INVENTORY), "playbooks/workloads.yml",
                                "--check", "-e", json.dumps(settings)], check=False, cwd=PROJECT_DIR, capture_output=True,
                               text=True, timeout=600, env={**os.environ, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"})
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert "check mode: would run smoke, train; nothing was submitted or written" in completed.stdout
    assert not (tmp_path / "results").exists()
    for workload in ("smoke", "train"):
        rc, found = run_module("ray_job_info", {"submission_id": "raybook-check-only-" + workload})
        assert rc == 0 and found["jobs"] == []


def test_a_second_site_run_changes_nothing(first_site_run, site_vars):
    again = run_playbook("site.yml", **site_vars)
    assert again.ok, again.failures
    assert total(again, "changed") == 0, again.hosts


def test_gpu_yml_skips_a_host_without_a_gpu_and_changes_nothing(first_site_run):
    """This machine in the gpu_nodes group: no NVIDIA GPU, so the GPU stack is skipped with one message."""
    outcome = run_playbook("playbooks/gpu.yml", inventory=GPU_LOCAL_INVENTORY)
    assert outcome.ok, outcome.failures
    assert total(outcome, "changed") == 0, outcome.hosts
    messages = [result["res"].get("msg") for result in outcome.results]
    assert "No NVIDIA GPU on localhost (no PCI device of vendor 0x10de): skipping the GPU stack." in messages
    assert "Ray counts 0 GPU(s), as the hardware has" in messages


def test_rays_own_cli_lists_the_workload_jobs_with_the_token(first_site_run):
    token_env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(TOKEN_FILE)}
    completed = subprocess.run(
        [str(VENV_BIN / "ray"), "job", "list", "--address", DASHBOARD], capture_output=True, text=True, check=True,
        env=token_env,
    )
    for workload in ("smoke", "train", "infer", "serve"):
        assert "submission_id='raybook-site-%s'" % workload in completed.stdout


def test_cluster_info_reports_the_head(first_site_run):
    rc, info = run_module("ray_cluster_info", {"address": DASHBOARD})
    assert rc == 0
    assert info["nodes_alive"] == 1 and info["nodes"][0]["is_head"]
    assert info["ray_version"] == "2.60.0"
    assert info["resources_total"]["CPU"] >= 1 and "memory" in info["resources_total"]


def test_job_info_lists_jobs_and_reads_one_with_its_result(first_site_run):
    rc, listing = run_module("ray_job_info", {})
    assert rc == 0 and "raybook-site-infer" in [job["submission_id"] for job in listing["jobs"]]
    rc, one = run_module("ray_job_info", {"submission_id": "raybook-site-infer", "logs": True, "log_tail_lines": 5})
    assert rc == 0 and len(one["jobs"]) == 1
    assert one["jobs"][0]["result"]["rows"] == 5000
    assert len(one["jobs"][0]["logs"].splitlines()) <= 5
    rc, none = run_module("ray_job_info", {"submission_id": "no-such-job"})
    assert rc == 0 and none["jobs"] == []


def test_serve_removes_and_redeploys_an_application_idempotently(first_site_run, project_dir):
    app = {"name": "classifier-copy", "import_path": "serve_app:app", "route_prefix": "/copy",
           "working_dir": str(project_dir / "workloads" / "serve")}
    rc, checked = run_module("ray_serve", app, check=True)
    assert rc == 0 and checked["changed"] is True and checked["status"] is None
    rc, first = run_module("ray_serve", app)
    assert rc == 0 and first["changed"] is True and first["status"] == "RUNNING"
    assert first["config"]["runtime_env"]["working_dir"].startswith("gcs://_ray_pkg_")
    rc, again = run_module("ray_serve", app)
    assert rc == 0 and again["changed"] is False
    rc, removed = run_module("ray_serve", {"name": "classifier-copy", "state": "absent"})
    assert rc == 0 and removed["changed"] is True
    rc, gone = run_module("ray_serve", {"name": "classifier-copy", "state": "absent"})
    assert rc == 0 and gone["changed"] is False
    serve_app = {"name": "classifier", "import_path": "serve_app:app", "route_prefix": "/classify",
                 "working_dir": str(project_dir / "workloads" / "serve")}
    rc, kept = run_module("ray_serve", serve_app, check=True)
    assert rc == 0 and kept["status"] == "RUNNING"


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
    _unused, info = run_module("ray_job_info", {"submission_id": "check-only"})
    assert info["jobs"] == []


def test_a_job_past_its_timeout_is_stopped_and_fails_the_task(first_site_run):
    rc, result = run_module("ray_job", {"submission_id": "too-slow", "entrypoint": "sleep 120", "timeout": 8})
    assert rc != 0
    assert result["msg"] == "job too-slow did not finish within 8s (stopped)"
    _unused, info = run_module("ray_job_info", {"submission_id": "too-slow"})
    assert info["jobs"][0]["status"] == "STOPPED"


def test_a_batch_of_jobs_runs_together_once_with_each_result(first_site_run, project_dir):
    """ray_job_batch against the real cluster: a trivial job and one with a working_dir upload, then the same batch
    again, which submits nothing."""
    jobs = [{"submission_id": "batch-echo", "entrypoint": "python -c \"import json; print('RAYBOOK_RESULT ' + json.dumps({'n': 1}))\""},
            {"submission_id": "batch-smoke", "entrypoint": "python smoke.py",
             "working_dir": str(project_dir / "workloads" / "smoke")}]
    rc, first = run_module("ray_job_batch", {"jobs": jobs, "timeout": 300})
    assert rc == 0, first.get("msg")
    assert [(job["submission_id"], job["status"], job["changed"]) for job in first["jobs"]] == [
        ("batch-echo", "SUCCEEDED", True), ("batch-smoke", "SUCCEEDED", True)]
    assert first["jobs"][0]["result"] == {"n": 1} and first["jobs"][1]["result"]["nodes"]
    rc, second = run_module("ray_job_batch", {"jobs": jobs, "timeout": 60})
    assert rc == 0 and second["changed"] is False


def test_state_absent_deletes_a_job_once(first_site_run):
    rc, first = run_module("ray_job", {"submission_id": "it-fails", "state": "absent"})
    assert rc == 0 and first["changed"] is True
    rc, second = run_module("ray_job", {"submission_id": "it-fails", "state": "absent"})
    assert rc == 0 and second["changed"] is False


def raybook(*args):
    return subprocess.run([str(VENV_BIN / "raybook"), *args], check=False, capture_output=True, text=True, timeout=600)


def test_raybook_run_makes_a_new_run_id_each_time(first_site_run, tmp_path):
    runs = []
    for _unused in range(2):
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
    record, error = completed.stderr.strip().splitlines()  # ansible-runner's folder is named first, for a closer look
    assert record.startswith("ansible-runner's record of playbooks/workloads.yml: %s/.raybook/runs/" % PROJECT_DIR)
    assert error == (
        "error: localhost: raybook_workloads: no workload 'no-such-workload' "
        "(%s/workloads/no-such-workload/workload.yml is missing)" % LOCAL_INVENTORY.parent.parent
    )


def test_a_file_deleted_from_a_workload_is_not_uploaded_again(first_site_run, site_vars, tmp_path):
    folder = tmp_path / "workloads" / "lister"
    folder.mkdir(parents=True)
    (folder / "workload.yml").write_text(
        "entrypoint: python -c \"import json, os; print('RAYBOOK_RESULT ' + json.dumps(sorted(os.listdir('.'))))\"\n"
        "resources: {num_cpus: 0}\n"
    )
    (folder / "old.py").write_text("print('old')\n")
    runs = {}
    for run_id in ("staged-1", "staged-2"):
        outcome = run_playbook("playbooks/workloads.yml", **site_vars, raybook_workloads_dir=str(folder.parent),
                               raybook_workloads=["lister"], raybook_run_id=run_id)
        assert outcome.ok, outcome.failures
        runs[run_id] = load(Path(site_vars["raybook_results_dir"]) / run_id / "lister" / "result.json")
        (folder / "old.py").unlink(missing_ok=True)
    assert runs == {"staged-1": ["old.py", "workload.yml"], "staged-2": ["workload.yml"]}


def test_serve_listens_on_loopback_only(first_site_run):
    """Serve has no authentication: like the dashboard, it listens where only this machine reaches it."""
    listening = subprocess.run(["ss", "-Hltn", "sport = :8000"], capture_output=True, text=True, check=True).stdout
    addresses = {line.split()[3].rsplit(":", 1)[0] for line in listening.splitlines()}
    assert addresses == {"127.0.0.1"}, listening


@pytest.fixture
def colleagues_ray():
    """A Ray started by hand in its own login session, as a colleague would: other ports, its own temp dir (short:
    Ray's socket paths must fit in 107 bytes)."""
    temp_dir = Path(tempfile.mkdtemp(prefix="rb-other-", dir="/tmp"))
    command = [
        str(VENV_BIN / "ray"), "start", "--head", "--port", "6390", "--dashboard-port", "8290", "--temp-dir", str(temp_dir),
        "--node-ip-address", "127.0.0.1", "--ray-client-server-port", "20091", "--dashboard-agent-listen-port", "52390",
        "--min-worker-port", "20100", "--max-worker-port", "20200", "--disable-usage-stats",
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120, start_new_session=True, env=dict(os.environ, RAY_USAGE_STATS_ENABLED="0"))
    yield temp_dir
    # Ours to stop now, and only it: the same script ray_node runs, from another session.
    subprocess.run(["setsid", "python3", str(PROJECT_DIR / "roles/ray_node/files/ray_stop_session.py"), str(temp_dir)], check=True, timeout=60)
    shutil.rmtree(temp_dir, ignore_errors=True)


def ray_processes_of(temp_dir):
    listing = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return [line for line in listing.splitlines() if str(temp_dir) + "/session_" in line]


def test_down_stops_only_raybooks_ray_and_a_second_down_changes_nothing(first_site_run, colleagues_ray):
    assert ray_processes_of("/tmp/raybook-ray") and ray_processes_of(colleagues_ray)
    down = run_playbook("playbooks/down.yml")
    assert down.ok and total(down, "changed") == 1
    rc, result = run_module("ray_cluster_info", {"address": DASHBOARD, "timeout": 0})
    assert rc != 0 and "unreachable" in result["msg"]
    assert ray_processes_of("/tmp/raybook-ray") == []
    assert len(ray_processes_of(colleagues_ray)) >= 3  # its GCS, raylet and dashboard
    rc, result = run_module("ray_cluster_info", {"address": "http://127.0.0.1:8290", "timeout": 10}, token=False)
    assert rc == 0 and result["nodes_alive"] == 1, result
    check = raybook("up", "--check", "-q")  # says what up would do, and does not do it
    assert check.returncode == 0, check.stderr
    assert "Would change:\n  localhost | Say that Ray's daemons would start\n" in check.stdout
    rc, result = run_module("ray_cluster_info", {"address": DASHBOARD, "timeout": 0})
    assert rc != 0
    again = run_playbook("playbooks/down.yml")
    assert again.ok and total(again, "changed") == 0
