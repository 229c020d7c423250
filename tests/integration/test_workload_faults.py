"""Workloads that fail, time out or do not deploy: each is reported, and the others' results are kept."""

import json
import shutil

import pytest

from tests.helpers import PROJECT_DIR, run_module, run_playbook

FAULTY = {
    "boom": "name: boom\nentrypoint: >-\n  python -c \"print('going down'); raise SystemExit('boom: bad input')\"\ntimeout: 120\n",
    "slow": "name: slow\nentrypoint: sleep 300\ntimeout: 5\n",
    "badserve": (
        "name: badserve\nserve:\n  name: badserve\n  import_path: no_such_module:app\n  route_prefix: /bad\n"
        "entrypoint: python -c 'print(1)'\ntimeout: 120\n"
    ),
}


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    workloads = tmp_path_factory.mktemp("workloads")
    shutil.copytree(PROJECT_DIR / "workloads" / "smoke", workloads / "smoke")
    for name, spec in FAULTY.items():
        (workloads / name).mkdir()
        (workloads / name / "workload.yml").write_text(spec)
    results = tmp_path_factory.mktemp("results")
    cluster = run_playbook("playbooks/cluster.yml")
    assert cluster.ok, cluster.failures
    outcome = run_playbook(
        "playbooks/workloads.yml",
        raybook_workloads=["boom", "slow", "badserve", "smoke"],
        raybook_workloads_dir=str(workloads),
        raybook_results_dir=str(results),
        raybook_run_id="faults",
    )
    yield outcome, results / "faults"
    run_module("ray_serve", {"name": "badserve", "state": "absent", "timeout": 10})  # the last test stops the cluster
    run_playbook("playbooks/down.yml")


def record(run_dir, name):
    return {w["workload"]: w for w in json.loads((run_dir / "summary.json").read_text())["workloads"]}[name]


def test_the_play_fails_naming_every_workload_that_did_not_succeed(faulty_run):
    outcome, run_dir = faulty_run
    assert not outcome.ok
    [failure] = outcome.failures
    assert failure["msg"].startswith("boom, slow, badserve did not succeed: ")
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "FAILED"


def test_a_failing_entrypoint_is_reported_with_rays_message(faulty_run):
    _unused, run_dir = faulty_run
    boom = record(run_dir, "boom")
    assert boom["status"] == "FAILED" and boom["driver_exit_code"] == 1
    assert boom["error"].startswith("Ray job raybook-faults-boom FAILED: ")
    assert "boom: bad input" in (run_dir / "boom" / "logs.txt").read_text()


def test_a_workload_past_its_timeout_is_stopped_and_reported_so(faulty_run):
    _unused, run_dir = faulty_run
    slow = record(run_dir, "slow")
    assert slow["status"] == "STOPPED"
    assert slow["error"] == "job raybook-faults-slow did not finish within 5s (stopped)"


def test_a_serve_app_that_does_not_deploy_fails_with_serves_message(faulty_run):
    _unused, run_dir = faulty_run
    bad = record(run_dir, "badserve")
    assert bad["status"] == "FAILED" and bad["submission_id"] is None
    assert bad["error"].startswith("Serve application badserve DEPLOY_FAILED: ")
    assert "no_such_module" in bad["error"]
    assert bad["serve"]["status"] == "DEPLOY_FAILED"


def test_the_other_workloads_results_are_kept(faulty_run):
    _unused, run_dir = faulty_run
    assert record(run_dir, "smoke")["status"] == "SUCCEEDED"
    assert json.loads((run_dir / "smoke" / "result.json").read_text())["nodes_alive"] == 1


def test_the_report_shows_each_fault(faulty_run):
    from raybook.report import write_report

    _unused, run_dir = faulty_run
    page = write_report(run_dir).read_text()
    for text in ("raybook-faults-boom", "did not finish within 5s", "Serve application badserve DEPLOY_FAILED", "STOPPED"):
        assert text in page


def test_a_cluster_lost_mid_run_stops_the_rest_at_once_in_one_line(faulty_run, tmp_path):
    """A workload that takes the whole cluster down (`ray stop --force`, this test's own Ray): the later workloads
    are not tried (each would wait out its own timeout), and the play says so in one line."""
    workloads, results = tmp_path / "workloads", tmp_path / "results"
    shutil.copytree(PROJECT_DIR / "workloads" / "smoke", workloads / "smoke")
    for name, entrypoint in {"killer": "ray stop --force", "after": "python -c 'print(1)'"}.items():
        (workloads / name).mkdir(parents=True)
        (workloads / name / "workload.yml").write_text("entrypoint: %s\ntimeout: 15\n" % entrypoint)
    outcome = run_playbook("playbooks/workloads.yml", raybook_workloads=["killer", "after", "smoke"],
                           raybook_workloads_dir=str(workloads), raybook_results_dir=str(results), raybook_run_id="lost")
    assert not outcome.ok
    [failure] = outcome.failures
    assert failure["msg"].startswith("the Ray cluster at http://127.0.0.1:8265 stopped answering during killer "
                                     "(unreachable after 15s"), failure["msg"]
    assert "not run: after, smoke; results in " in failure["msg"]
    assert not (results / "lost" / "after").exists()
