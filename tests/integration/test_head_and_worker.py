"""A head and a worker (node IP 127.0.0.2) on this machine, started by cluster.yml, for real."""

import json

import pytest

from tests.conftest import DASHBOARD, HEAD_WORKER_INVENTORY, run_module, run_playbook, total


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


def test_the_smoke_job_sees_both_nodes(cluster, tmp_path):
    outcome = run_playbook(
        "playbooks/workloads.yml", inventory=HEAD_WORKER_INVENTORY,
        raybook_results_dir=str(tmp_path), raybook_run_id="hw", raybook_workloads=["smoke"],
    )
    assert outcome.ok, outcome.failures
    result = json.loads((tmp_path / "hw" / "smoke" / "result.json").read_text())
    assert result["nodes_alive"] == 2 and result["cluster_resources"]["CPU"] == 2.0


def test_down_stops_both_nodes(cluster):
    down = run_playbook("playbooks/down.yml", inventory=HEAD_WORKER_INVENTORY)
    assert down.ok, down.failures
    rc, _ = run_module("ray_cluster_info", {"address": DASHBOARD, "timeout": 0})
    assert rc != 0
