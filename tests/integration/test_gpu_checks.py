"""gpu.yml's checks on a cluster that claims a GPU this machine does not have (Ray accepts --num-gpus 1 on a
CPU-only host): the count check and the verification job must both fail, each with one clear message."""

import json
import socket

import pytest

from tests.helpers import GPU_LOCAL_INVENTORY, run_playbook, stop_ray, total


def test_gpu_yml_without_a_gpu_or_ray_changes_nothing_and_starts_nothing():
    """Runs before the module's cluster starts: with no GPU, gpu.yml leaves a stopped Ray stopped."""
    stop_ray()
    outcome = run_playbook("playbooks/gpu.yml", inventory=GPU_LOCAL_INVENTORY)
    assert outcome.ok, outcome.failures
    assert total(outcome, "changed") == 0, outcome.hosts
    messages = [result["res"].get("msg") for result in outcome.results]
    assert "no NVIDIA GPU on localhost and no Ray cluster running: nothing to do" in messages
    assert port_is_closed(8265)


def port_is_closed(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def cluster_claiming_a_gpu():
    started = run_playbook("playbooks/cluster.yml", inventory=GPU_LOCAL_INVENTORY, ray_node_num_gpus=1)
    assert started.ok, started.failures
    yield
    run_playbook("playbooks/down.yml", inventory=GPU_LOCAL_INVENTORY)


def test_gpu_yml_fails_when_ray_counts_gpus_the_hardware_lacks(cluster_claiming_a_gpu):
    outcome = run_playbook("playbooks/gpu.yml", inventory=GPU_LOCAL_INVENTORY)
    assert not outcome.ok
    [failure] = outcome.failures
    assert failure["msg"].startswith("Ray counts 1 GPU(s) but the GPU nodes have 0 (localhost: 0")
    assert "stop it (playbooks/down.yml) and re-run" in failure["msg"]


def test_the_gpu_check_job_fails_naming_the_node_where_cuda_is_missing(cluster_claiming_a_gpu, tmp_path):
    outcome = run_playbook(
        "playbooks/workloads.yml", inventory=GPU_LOCAL_INVENTORY,
        raybook_workloads=["gpu_check"], raybook_results_dir=str(tmp_path), raybook_run_id="gpu",
    )
    assert not outcome.ok
    [record] = json.loads((tmp_path / "gpu" / "summary.json").read_text())["workloads"]
    assert record["status"] == "FAILED"
    assert "torch.cuda.is_available() is False on GPU node(s) " in record["error"]
    result = json.loads((tmp_path / "gpu" / "gpu_check" / "result.json").read_text())
    assert result["gpu_nodes"] == 1 and result["gpus_total"] == 1.0
    assert result["nodes"][0]["cuda"] is False and result["nodes"][0]["visible_devices"] == [0]
