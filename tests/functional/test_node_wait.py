"""A node that does not join is named, with what the head saw and what the node last said, within its start
timeout. The head's dashboard is an in-process fake on loopback that lists only the head (a real node cannot be
made to hang half-started on purpose); the wait is ray_node's own tasks, run by ansible-playbook."""

import json
import subprocess
import sys
import time

import pytest

from tests.helpers import PROJECT_DIR, VENV_BIN, ansible_env
from tests.fake_dashboard import json_server

HEAD_ONLY = {"data": {"result": {"result": [
    {"node_id": "a" * 56, "node_ip": "127.0.0.1", "is_head_node": True, "state": "ALIVE", "resources_total": {"CPU": 2.0}},
    {"node_id": "b" * 56, "node_ip": "10.9.9.9", "is_head_node": False, "state": "DEAD", "resources_total": {}},
]}}}


@pytest.fixture
def head_dashboard():
    def answer(method, path, headers, body):
        if path.startswith("/api/version"):
            return 200, {"version": "4", "ray_version": "2.60.0", "ray_commit": "x"}
        return 200, HEAD_ONLY if path.startswith("/api/v0/nodes") else {}

    with json_server(answer) as address:
        yield address


def wait_for_node(tmp_path, dashboard, timeout):
    logs = tmp_path / "ray" / "session_latest" / "logs"
    logs.mkdir(parents=True)
    (logs / "raylet.out").write_text("starting\nFailed to connect to GCS at 10.0.0.1:6379 within 60s\n")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  children:\n    ray_head:\n      hosts:\n        localhost:\n")
    extra = {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "ray_node_type": "worker", "ray_node_ip": "10.9.9.9", "ray_node_dashboard_url": dashboard,
        "ray_node_auth_mode": "disabled", "ray_node_supervisor_in_use": "daemon",
        "ray_node_temp_dir": str(tmp_path / "ray"), "ray_node_start_timeout": timeout,
    }
    started = time.monotonic()
    completed = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "tests/playbooks/node_wait.yml", "-i", str(inventory), "-e", json.dumps(extra)],
        check=False, cwd=PROJECT_DIR, env=dict(ansible_env(), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json"),
        capture_output=True, text=True, timeout=300,
    )
    report = json.loads(completed.stdout)
    failed = [host["msg"] for play in report["plays"] for task in play["tasks"]
              for host in task["hosts"].values() if host.get("failed")]
    return completed.returncode, failed, time.monotonic() - started


def test_a_node_that_never_joins_is_named_with_what_it_last_said(tmp_path, head_dashboard):
    rc, failed, elapsed = wait_for_node(tmp_path, head_dashboard, timeout=6)
    assert rc != 0
    assert failed == ["ray_node: localhost (10.9.9.9) did not join the cluster within 6s; the head counts 127.0.0.1 "
                      "alive; the node last said: Failed to connect to GCS at 10.0.0.1:6379 within 60s"]
    assert elapsed < 6 + 25  # one deadline, plus ansible's own start-up


def test_a_head_that_does_not_answer_costs_the_timeout_once(tmp_path):
    rc, failed, elapsed = wait_for_node(tmp_path, "http://127.0.0.1:9", timeout=6)
    assert rc != 0
    assert failed[0].startswith("ray_node: localhost (10.9.9.9) did not join the cluster within 6s; the head did not "
                                "answer: Ray dashboard at http://127.0.0.1:9 unreachable after 3s")
    assert elapsed < 6 + 3 + 25
