"""A head and a worker (node IP 127.0.0.2) on this machine, started by cluster.yml, for real."""

import json
import subprocess

import pytest

from tests.helpers import DASHBOARD, HEAD_WORKER_INVENTORY, VENV_BIN, run_module, run_playbook, total


@pytest.fixture(scope="module")
def cluster():
    return run_playbook("playbooks/cluster.yml", inventory=HEAD_WORKER_INVENTORY)


def test_cluster_yml_starts_a_head_and_a_worker(cluster):
    assert cluster.ok, cluster.failures
    rc, info = run_module("ray_cluster_info", {"address": DASHBOARD})
    assert rc == 0 and info["nodes_alive"] == 2
    assert [node["is_head"] for node in info["nodes"]] == [True, False]
    assert info["nodes"][1]["node_ip"] == "127.0.0.2"
    assert info["resources_total"]["CPU"] == 2.0  # ray_node_num_cpus: 1 on each node


def test_a_second_cluster_run_changes_nothing(cluster):
    again = run_playbook("playbooks/cluster.yml", inventory=HEAD_WORKER_INVENTORY)
    assert again.ok, again.failures
    assert total(again, "changed") == 0, again.hosts


def test_raybook_up_on_a_running_cluster_changes_nothing_and_status_shows_both_nodes(cluster):
    completed = subprocess.run(
        [str(VENV_BIN / "raybook"), "up", "-i", str(HEAD_WORKER_INVENTORY), "--json"], check=False, capture_output=True, text=True, timeout=600
    )
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert [p["name"] for p in document["playbooks"]] == ["playbooks/bootstrap.yml", "playbooks/cluster.yml"]
    assert sum(counts["changed"] for p in document["playbooks"] for counts in p["hosts"].values()) == 0
    completed = subprocess.run(
        [str(VENV_BIN / "raybook"), "status", "-i", str(HEAD_WORKER_INVENTORY)], check=False, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0 and "2 node(s) alive" in completed.stdout and "127.0.0.2  worker" in completed.stdout


def test_the_smoke_job_sees_both_nodes(cluster, tmp_path):
    outcome = run_playbook(
        "playbooks/workloads.yml", inventory=HEAD_WORKER_INVENTORY,
        raybook_results_dir=str(tmp_path), raybook_run_id="hw", raybook_workloads=["smoke"],
    )
    assert outcome.ok, outcome.failures
    result = json.loads((tmp_path / "hw" / "smoke" / "result.json").read_text())
    assert result["nodes_alive"] == 2 and result["cluster_resources"]["CPU"] == 2.0


def test_raybook_down_stops_both_nodes(cluster):
    completed = subprocess.run(
        [str(VENV_BIN / "raybook"), "down", "-q", "-i", str(HEAD_WORKER_INVENTORY)], check=False, capture_output=True, text=True, timeout=600
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[0].split() == ["HOST", "OK", "CHANGED", "FAILED", "UNREACHABLE", "SKIPPED"]
    rc, _unused = run_module("ray_cluster_info", {"address": DASHBOARD, "timeout": 0})
    assert rc != 0
