"""GPU detection on sample sysfs trees and nvidia-smi outputs of several GPU models (tests/unit/fixtures/;
the sysfs trees are kept as JSON and written out for each test).

The fixtures stand in for hardware this machine lacks; the real /sys of this machine is the no-GPU case.
"""

import pytest
from ansible_collections.raybook.ray.plugins.module_utils import nvidia

from tests.helpers import PROJECT_DIR, sysfs_tree

FIXTURES = PROJECT_DIR / "tests" / "unit" / "fixtures"
# case: (GPUs on the PCI bus, the GPU model nvidia-smi names, MiB per GPU)
CASES = {
    "h100_x1": (1, "NVIDIA H100 80GB HBM3", 81559),
    "a100_x8": (8, "NVIDIA A100-SXM4-40GB", 40960),
    "t4_x1": (1, "Tesla T4", 15360),
    "rtx4090_workstation": (1, "NVIDIA GeForce RTX 4090", 24564),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sysfs_and_nvidia_smi_agree_on_every_model(case, tmp_path):
    count, model, memory = CASES[case]
    pci = nvidia.pci_gpus(str(sysfs_tree(case, tmp_path)))
    smi = nvidia.parse_nvidia_smi((FIXTURES / "nvidia-smi" / (case + ".csv")).read_text())
    assert len(pci) == len(smi) == count
    assert [gpu["pci_address"] for gpu in pci] == [gpu["pci_address"] for gpu in smi]
    assert {gpu["name"] for gpu in smi} == {model} and {gpu["memory_total_mib"] for gpu in smi} == {memory}
    assert [gpu["index"] for gpu in smi] == list(range(count))


def test_bmc_vga_nvswitch_audio_and_other_vendors_are_not_gpus(tmp_path):
    assert nvidia.pci_gpus(str(sysfs_tree("no_gpu", tmp_path))) == []
    h100 = nvidia.pci_gpus(str(sysfs_tree("h100_x1", tmp_path)))
    assert h100 == [{"pci_address": "0000:17:00.0", "device_id": "0x2330", "device_class": "0x030200"}]
    assert [gpu["pci_address"] for gpu in nvidia.pci_gpus(str(sysfs_tree("rtx4090_workstation", tmp_path)))] == ["0000:01:00.0"]


def test_a_missing_sysfs_means_no_gpus():
    assert nvidia.pci_gpus("/no/such/sysfs") == []


def test_driver_loaded_follows_the_kernel_module(tmp_path):
    assert nvidia.driver_loaded(str(sysfs_tree("a100_x8", tmp_path)))
    assert not nvidia.driver_loaded(str(sysfs_tree("rtx4090_workstation", tmp_path)))


def test_bus_ids_are_normalized_to_sysfs_form():
    assert nvidia.normalize_bus_id("00000000:1E:00.0") == "0000:1e:00.0"
    assert nvidia.normalize_bus_id("0000:17:00.0") == "0000:17:00.0"


def test_an_unexpected_nvidia_smi_line_is_refused():
    with pytest.raises(ValueError):
        nvidia.parse_nvidia_smi((FIXTURES / "nvidia-smi" / "driver_missing.txt").read_text())
