"""ray_serve's state machine (module_utils/ray_serve_task.py) against an in-process fake of the dashboard's Serve
API: one PUT of the whole set of applications, idempotence, removal, and failures in Serve's own words."""

from importlib.metadata import version

import pytest
from ansible_collections.raybook.ray.plugins.module_utils.ray_dashboard import DashboardError
from ansible_collections.raybook.ray.plugins.module_utils.ray_serve_task import ServeTask

from tests.fake_dashboard import FakeRay


def params(**overrides):
    base = dict(name="classifier", import_path="serve_app:app", route_prefix="/classify", working_dir=None,
                runtime_env=None, args={"scale": 2}, deployments=None, http_host="127.0.0.1", http_port=8000,
                proxy_location="EveryNode", state="present", wait=True, timeout=5.0, validate_certs=True)
    base.update(overrides)
    return base


def run(fake, check_mode=False, **overrides):
    return fake.run(ServeTask, params(**overrides), check_mode)


@pytest.fixture
def fake():
    return FakeRay(version("ray"))


def puts(fake):
    return [body for method, _unused, body in fake.requests if method == "PUT"]


def test_an_application_is_declared_with_serve_bound_where_asked_and_a_second_call_changes_nothing(fake):
    result, _unused = run(fake)
    assert (result["changed"], result["status"], result["deployments"]) == (True, "RUNNING", {"Model": "HEALTHY"})
    [document] = puts(fake)
    assert document == {
        "http_options": {"host": "127.0.0.1", "port": 8000}, "proxy_location": "EveryNode",
        "applications": [{"name": "classifier", "import_path": "serve_app:app", "route_prefix": "/classify", "args": {"scale": 2}}],
    }
    result, _unused = run(fake)
    assert result["changed"] is False and len(puts(fake)) == 1


def test_other_applications_are_kept_as_they_are(fake):
    run(fake, name="other", route_prefix="/other")
    run(fake)
    assert [app["name"] for app in puts(fake)[-1]["applications"]] == ["other", "classifier"]
    result, _unused = run(fake, state="absent")
    assert result == dict(changed=True, name="classifier", status=None, message="removed")
    assert list(fake.serve["applications"]) == ["other"]


def test_removing_the_last_application_shuts_serve_down_and_a_second_removal_changes_nothing(fake):
    run(fake)
    result, _unused = run(fake, state="absent")
    assert result["changed"] is True and ("DELETE", "/api/serve/applications/", None) in fake.requests
    result, _unused = run(fake, state="absent")
    assert result["changed"] is False


def test_check_mode_reports_the_change_and_declares_nothing(fake):
    result, _unused = run(fake, check_mode=True)
    assert result["changed"] is True and puts(fake) == []


def test_an_unhealthy_application_fails_the_task_in_serves_words(fake):
    fake.serve_status = "DEPLOY_FAILED"
    failure, _unused = run(fake)
    assert str(failure) == "Serve application classifier DEPLOY_FAILED: Model: replica crashed"
    assert failure.result["deployments"] == {"Model": "UNHEALTHY"}


def test_asking_for_another_http_port_while_serve_runs_is_warned_about(fake):
    run(fake)
    _unused, warnings = run(fake, http_port=8001, route_prefix="/v2")
    assert warnings == ["Serve already listens on 127.0.0.1:8000, not 127.0.0.1:8001: HTTP options apply when Serve "
                        "starts (remove its applications to restart it)"]


def test_a_deploy_serve_dropped_is_sent_again_once_within_the_deadline(fake):
    fake.dropped_deploys = 1
    result, warnings = run(fake, timeout=6.0)
    assert (result["changed"], result["status"]) == (True, "RUNNING")
    assert len(puts(fake)) == 2 and puts(fake)[0] == puts(fake)[1]
    assert warnings == ["Serve had not listed application classifier after 2s: its deploy was sent again"]


CONTROLLER = {"class_name": "ServeController", "state": "ALIVE", "required_resources": {}}
PENDING_REPLICA = {"class_name": "ServeReplica:classifier:Model", "state": "PENDING_CREATION",
                   "required_resources": {"CPU": 0.25, "GPU": 1.0}}


def test_a_deploy_never_listed_fails_naming_the_controller_and_the_replicas_waiting_for_resources(fake):
    fake.dropped_deploys = 2
    fake.actors = [CONTROLLER, PENDING_REPLICA, {"class_name": "ServeReplica:other:Model", "state": "PENDING_CREATION"}]
    with pytest.raises(DashboardError) as failure:
        run(fake, timeout=3.0)
    assert str(failure.value) == (
        "Serve application classifier not RUNNING within 3s (status not listed (its deploy sent twice)): "
        "Serve controller ALIVE; 1 replica(s) pending, each waiting for CPU 0.25, GPU 1")


def test_an_application_still_deploying_fails_with_its_unhealthy_deployments_and_a_dead_controller(fake):
    fake.serve_status = "DEPLOYING"
    fake.actors = [dict(CONTROLLER, state="DEAD")]
    with pytest.raises(DashboardError) as failure:
        run(fake, timeout=2.0)
    assert str(failure.value) == (
        "Serve application classifier not RUNNING within 2s (status DEPLOYING): Model UNHEALTHY: replica crashed; "
        "Serve controller DEAD")
