"""Token authentication on the local platform, for real: the dashboard refuses requests without the cluster's
token, the modules say so in one line, the token is kept 0600 and never appears in any of ansible-runner's events,
and a Ray already running without token authentication is reported instead of adopted."""

import json
import os
import subprocess
import tempfile
import urllib.error
import urllib.request

import ansible_runner
import pytest

from tests.helpers import DASHBOARD, LOCAL_INVENTORY, PROJECT_DIR, TOKEN_FILE, VENV_BIN, run_module, run_playbook, stop_ray
from raybook import runner


@pytest.fixture(scope="module")
def site_events(tmp_path_factory):
    """Every event of a site.yml run (smoke only), as ansible-runner saw them."""
    events = []
    with tempfile.TemporaryDirectory(prefix="raybook-events-") as private_dir:
        result = ansible_runner.run(
            private_data_dir=private_dir, project_dir=str(PROJECT_DIR), playbook="site.yml",
            inventory=str(LOCAL_INVENTORY), envvars=runner.runner_env(), quiet=True,
            extravars={"raybook_workloads": ["smoke"], "raybook_run_id": "security",
                       "raybook_results_dir": str(tmp_path_factory.mktemp("results"))},
            event_handler=lambda event: events.append(event) or True,
        )
    assert result.rc == 0, [e.get("stdout") for e in events if e.get("event") == "runner_on_failed"]
    return events


def test_the_dashboard_refuses_requests_without_the_token(site_events):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(DASHBOARD + "/api/jobs/", timeout=10)
    assert refused.value.code == 401
    token = TOKEN_FILE.read_text().strip()
    request = urllib.request.Request(DASHBOARD + "/api/jobs/", headers={"Authorization": "Bearer " + token})
    assert urllib.request.urlopen(request, timeout=10).status == 200


def test_a_module_without_the_token_says_so_in_one_line(site_events):
    rc, result = run_module("ray_job_info", {}, token=False)
    assert rc != 0
    assert result["msg"] == (
        DASHBOARD + "/api/jobs/ refused the request (HTTP 401): the cluster needs its token (auth_token or auth_token_file)"
    )
    rc, result = run_module("ray_job_info", {"auth_token": "not-the-token"})
    assert rc != 0
    assert result["msg"] == DASHBOARD + "/api/jobs/ refused the token (HTTP 403): it is not this cluster's (auth_token or auth_token_file)"


def test_the_token_is_kept_0600_and_given_to_ray(site_events):
    assert TOKEN_FILE.stat().st_mode & 0o777 == 0o600
    assert len(TOKEN_FILE.read_text().strip()) == 48


def test_no_event_shows_the_token(site_events):
    token = TOKEN_FILE.read_text().strip()
    leaks = [event.get("event_data", {}).get("task") for event in site_events if token in json.dumps(event)]
    assert leaks == []


def test_a_ray_started_without_the_token_is_reported_not_adopted(site_events):
    stop_ray()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    subprocess.run([str(VENV_BIN / "ray"), "start", "--head", "--node-ip-address", "127.0.0.1",
                    "--dashboard-host", "127.0.0.1", "--num-cpus", "1"], env=env, check=True, capture_output=True, timeout=120)
    outcome = run_playbook("playbooks/cluster.yml")
    assert not outcome.ok
    assert [failure["msg"] for failure in outcome.failures] == [
        "ray_node: a Ray without token authentication already answers at http://127.0.0.1:8265 on localhost; "
        "stop it (make down, or ray stop there) and run again"
    ]
