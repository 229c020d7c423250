"""ray_job's state machine (module_utils/ray_job_task.py) against an in-process fake of the dashboard's Jobs API:
what it sends, what it returns, and how it fails."""

from importlib.metadata import version

import pytest
from ansible_collections.raybook.ray.plugins.module_utils.ray_dashboard import DashboardError, RayDashboard, TaskFailed
from ansible_collections.raybook.ray.plugins.module_utils.ray_job_task import JobBatch, JobTask, check_batch, job_argument_spec

from tests.fake_dashboard import FakeRay, json_server

LOGS = 'epoch 1\nRAYBOOK_RESULT {"accuracy": 0.99}\ndone\n'


def params(**overrides):
    base = dict(entrypoint="python main.py", submission_id="raybook-train", working_dir=None, runtime_env=None,
                entrypoint_num_cpus=None, entrypoint_num_gpus=None, entrypoint_memory=None, entrypoint_resources=None,
                metadata={"run": 7}, wait=True, stop_on_timeout=True, log_tail_lines=2, state="present",
                timeout=10.0, validate_certs=True)
    base.update(overrides)
    return base


def run(fake, check_mode=False, **overrides):
    return fake.run(JobTask, params(**overrides), check_mode)


@pytest.fixture
def fake():
    return FakeRay(version("ray"), job_logs=LOGS)


def submissions(fake):
    return [body for method, path, body in fake.requests if method == "POST" and path == "/api/jobs/"]


def test_a_new_job_is_submitted_once_waited_for_and_its_result_read_from_its_log(fake):
    result, _unused = run(fake)
    assert (result["changed"], result["status"], result["submission_id"]) == (True, "SUCCEEDED", "raybook-train")
    assert result["result"] == {"accuracy": 0.99}
    assert result["logs"] == 'RAYBOOK_RESULT {"accuracy": 0.99}\ndone'  # log_tail_lines=2
    [body] = submissions(fake)
    assert body == {"entrypoint": "python main.py", "submission_id": "raybook-train", "metadata": {"run": "7"}}


def test_a_new_job_is_read_by_the_waits_polls_alone_a_pause_between_two_reads(fake):
    def pause(seconds):
        fake.requests.append(("pause", seconds, None))

    with json_server(fake) as address:
        JobTask(params(), RayDashboard(address, 10.0, sleep=pause)).run()
    assert [(method, path) for method, path, _unused in fake.requests] == [
        ("GET", "/api/version"), ("GET", "/api/jobs/raybook-train"), ("POST", "/api/jobs/"),
        ("GET", "/api/jobs/raybook-train"), ("pause", 0.2), ("GET", "/api/jobs/raybook-train"),  # RUNNING, SUCCEEDED
        ("GET", "/api/jobs/raybook-train/logs")]


def test_a_new_job_not_waited_for_is_read_once_after_submitting(fake):
    result, _unused = run(fake, wait=False)
    assert (result["changed"], result["status"]) == (True, "RUNNING")
    assert [path for method, path, _unused in fake.requests][-2:] == ["/api/jobs/", "/api/jobs/raybook-train"]


def test_a_job_already_there_is_not_submitted_again_and_a_different_entrypoint_is_warned_about(fake):
    fake.add_job("raybook-train", "python other.py", "SUCCEEDED")
    result, warnings = run(fake)
    assert (result["changed"], result["status"]) == (False, "SUCCEEDED")
    assert submissions(fake) == []
    assert warnings == ["submission_id raybook-train already exists with entrypoint 'python other.py'; not submitted again"]


def test_a_failed_job_fails_the_task_in_one_line_with_what_it_found(fake):
    fake.job_statuses = ["RUNNING", "FAILED"]
    failure, _unused = run(fake)
    assert isinstance(failure, TaskFailed)
    assert str(failure) == "Ray job raybook-train FAILED: no message from Ray; its log ends: done"
    assert failure.result["status"] == "FAILED" and failure.result["result"] == {"accuracy": 0.99}


def test_check_mode_says_the_job_would_be_submitted_and_sends_nothing(fake):
    result, _unused = run(fake, check_mode=True)
    assert result == dict(changed=True, submission_id="raybook-train", status=None, message="would be submitted")
    assert [method for method, _unused, _unused in fake.requests] == ["GET", "GET"]  # the version, the job


def test_a_job_that_outlives_its_timeout_is_stopped_and_the_task_fails_saying_so(fake):
    fake.job_statuses = ["RUNNING"]
    failure, _unused = run(fake, timeout=1.0)
    assert str(failure) == "job raybook-train did not finish within 1s (stopped)"
    assert failure.result["status"] == "STOPPED"
    assert ("POST", "/api/jobs/raybook-train/stop", None) in fake.requests


def test_a_job_left_running_on_timeout_when_asked(fake):
    fake.job_statuses = ["RUNNING"]
    failure, _unused = run(fake, timeout=1.0, stop_on_timeout=False)
    assert str(failure) == "job raybook-train did not finish within 1s (left running)"
    assert not any(path.endswith("/stop") for _unused, path, _unused in fake.requests)


def test_absent_deletes_a_finished_job_and_is_unchanged_when_there_is_none(fake):
    fake.add_job("raybook-train", "python main.py", "SUCCEEDED")
    result, _unused = run(fake, state="absent")
    assert (result["changed"], result["message"]) == (True, "deleted") and fake.jobs == {}
    result, _unused = run(fake, state="absent")
    assert result["changed"] is False


def test_stopping_a_running_job_reports_it_stopped_and_a_finished_one_unchanged(fake):
    fake.add_job("raybook-train", "python main.py", "RUNNING")
    result, _unused = run(fake, state="stopped")
    assert (result["changed"], result["status"]) == (True, "STOPPED")
    result, _unused = run(fake, state="stopped")
    assert (result["changed"], result["status"]) == (False, "STOPPED")


def test_stopping_a_job_that_does_not_exist_names_it(fake):
    with pytest.raises(DashboardError, match="^submission_id raybook-train: no such job at http://127.0.0.1:"):
        run(fake, state="stopped")


def batch_params(count, **overrides):
    jobs = [dict(params(submission_id="sweep-%d" % n, entrypoint="python main.py --seed %d" % n, metadata=None))
            for n in range(count)]
    options = dict(params(), jobs=[{key: job[key] for key in job_argument_spec()} for job in jobs])
    options.update(overrides)
    return options


def run_batch(fake, options, check_mode=False):
    return fake.run(JobBatch, options, check_mode)


def test_a_batch_submits_every_job_then_waits_for_all_with_one_status_request_per_poll(fake):
    result, _unused = run_batch(fake, batch_params(20))
    assert result["changed"] is True
    assert [job["submission_id"] for job in result["jobs"]] == ["sweep-%d" % n for n in range(20)]
    assert {job["status"] for job in result["jobs"]} == {"SUCCEEDED"} and result["jobs"][7]["result"] == {"accuracy": 0.99}
    assert len(submissions(fake)) == 20
    statuses = [path for method, path, _unused in fake.requests if method == "GET" and path.startswith("/api/jobs/") and "/logs" not in path]
    assert statuses == ["/api/jobs/"] * 3  # the ids known, then two polls walk every job to SUCCEEDED


def test_a_second_batch_submits_only_the_jobs_not_there(fake):
    fake.add_job("sweep-1", "python main.py --seed 1", "SUCCEEDED")
    result, _unused = run_batch(fake, batch_params(3))
    assert [job["changed"] for job in result["jobs"]] == [True, False, True]
    assert [body["submission_id"] for body in submissions(fake)] == ["sweep-0", "sweep-2"]


def test_a_failed_job_in_a_batch_fails_the_task_naming_it_with_every_result_kept(fake):
    fake.add_job("sweep-1", "python main.py --seed 1", "FAILED")
    failure, _unused = run_batch(fake, batch_params(3))
    assert str(failure) == ("1 of 3 Ray jobs did not succeed (sweep-1); the first: Ray job sweep-1 FAILED: "
                            "no message from Ray; its log ends: done")
    assert [job["status"] for job in failure.result["jobs"]] == ["SUCCEEDED", "FAILED", "SUCCEEDED"]


def test_jobs_still_running_at_the_deadline_are_stopped_and_named(fake):
    fake.job_statuses = ["RUNNING"]
    fake.add_job("sweep-0", "python main.py --seed 0", "SUCCEEDED")
    failure, _unused = run_batch(fake, batch_params(3, timeout=1.0))
    assert str(failure) == "2 of 3 Ray jobs did not finish within 1s (stopped): sweep-1, sweep-2"
    assert [job["status"] for job in failure.result["jobs"]] == ["SUCCEEDED", "STOPPED", "STOPPED"]


def test_a_batch_in_check_mode_names_what_it_would_submit_and_sends_nothing(fake):
    fake.add_job("sweep-0", "python main.py --seed 0", "SUCCEEDED")
    result, _unused = run_batch(fake, batch_params(2), check_mode=True)
    assert result["jobs"] == [dict(changed=False, submission_id="sweep-0", status="SUCCEEDED", message=""),
                              dict(changed=True, submission_id="sweep-1", status=None, message="would be submitted")]
    assert submissions(fake) == []


@pytest.mark.parametrize("jobs, error", [
    ([], "jobs: expected at least one job"),
    ([{"entrypoint": " "}], "jobs[0].entrypoint: expected a non-empty command"),
    ([{"entrypoint": "x", "submission_id": "a"}, {"entrypoint": "y", "submission_id": "a"}], "jobs[1].submission_id: a is given twice"),
    ([{"entrypoint": "x"}, {"entrypoint": "y", "entrypoint_num_gpus": -1}], "jobs[1].entrypoint_num_gpus: expected a number >= 0, got -1"),
])
def test_a_bad_job_in_a_batch_is_named_by_its_place(jobs, error):
    options = dict(params(address="http://127.0.0.1:8265"), jobs=[{**dict.fromkeys(job_argument_spec()), **job} for job in jobs])
    assert check_batch(options).startswith(error)


def test_a_batch_asks_the_clusters_version_once(fake):
    run_batch(fake, batch_params(5))
    assert [path for _unused, path, _unused in fake.requests].count("/api/version") == 1
