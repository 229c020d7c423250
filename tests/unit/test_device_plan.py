"""The workloads' device plans (workloads/train/raybook_devices.py) against fake cluster_resources() of clusters with
0, 1, 2 and 8 GPUs, and with a fraction of one."""

import importlib.util

import pytest

from tests.helpers import PROJECT_DIR

spec = importlib.util.spec_from_file_location("raybook_devices", PROJECT_DIR / "workloads" / "train" / "raybook_devices.py")
devices = importlib.util.module_from_spec(spec)
spec.loader.exec_module(devices)


def cluster(gpus):
    return {"CPU": 16.0, "memory": 6.4e10, "object_store_memory": 2e10, **({"GPU": gpus} if gpus is not None else {})}


@pytest.mark.parametrize("gpus, workers, share", [(1.0, 1, 1), (2.0, 2, 1), (8.0, 8, 1), (0.5, 1, 0.5)])
def test_training_uses_one_worker_per_gpu_or_a_fraction_of_one(gpus, workers, share):
    plan = devices.training_plan(cluster(gpus))
    assert plan == {"workers": workers, "use_gpu": True, "resources_per_worker": {"CPU": 0.5, "GPU": share}}


@pytest.mark.parametrize("gpus", [None, 0.0])
def test_training_without_gpus_keeps_two_cpu_workers(gpus):
    assert devices.training_plan(cluster(gpus)) == {"workers": 2, "use_gpu": False, "resources_per_worker": {"CPU": 0.5}}


def test_asked_workers_cap_the_gpu_workers():
    assert devices.training_plan(cluster(8.0), workers=2)["workers"] == 2
    assert devices.training_plan(cluster(1.0), workers=2)["workers"] == 1  # the single-GPU workstation trains on it


def test_workers_can_share_gpus():
    plan = devices.training_plan(cluster(1.0), workers=2, gpus_per_worker=0.5)
    assert plan["workers"] == 2 and plan["resources_per_worker"]["GPU"] == 0.5
    assert devices.training_plan(cluster(2.0), gpus_per_worker=0.5)["workers"] == 4
    with pytest.raises(ValueError, match="gpus_per_worker 1.0: the cluster has only 0.5 GPU"):
        devices.training_plan(cluster(0.5), gpus_per_worker=1.0)


def test_ray_float_totals_count_whole_gpus():
    assert devices.training_plan(cluster(1.9999999))["workers"] == 2


@pytest.mark.parametrize("gpus, expected", [
    (None, {"actors": 2, "num_gpus": 0, "num_cpus": 0.5}),
    (1.0, {"actors": 1, "num_gpus": 1, "num_cpus": 0.5}),
    (2.0, {"actors": 2, "num_gpus": 1, "num_cpus": 0.5}),
    (8.0, {"actors": 2, "num_gpus": 1, "num_cpus": 0.5}),
    (0.5, {"actors": 1, "num_gpus": 0.5, "num_cpus": 0.5}),
])
def test_inference_gives_each_actor_a_gpu_when_there_are_gpus(gpus, expected):
    assert devices.inference_plan(cluster(gpus)) == expected


@pytest.mark.parametrize("gpus, expected", [
    (None, {"num_cpus": 0.25}), (1.0, {"num_cpus": 0.25, "num_gpus": 0.25}),
    (8.0, {"num_cpus": 0.25, "num_gpus": 0.25}), (0.1, {"num_cpus": 0.25, "num_gpus": 0.1}),
])
def test_serve_asks_for_a_share_of_a_gpu_when_there_is_one(gpus, expected):
    assert devices.serve_actor_options(cluster(gpus)) == expected
