"""nvidia_gpu_info run for real through `ansible` on sample sysfs trees (tests/unit/fixtures/) and a stand-in
nvidia-smi that prints recorded outputs; this machine's own /sys is the no-GPU case."""

import os
import stat

from tests.helpers import run_module, sysfs_tree
from tests.unit.test_nvidia import FIXTURES


def fake_nvidia_smi(tmp_path, output, rc=0):
    """A stand-in for nvidia-smi (no NVIDIA driver here) that prints a recorded output."""
    script = tmp_path / "nvidia-smi"
    script.write_text("#!/bin/sh\ncat '%s'\nexit %d\n" % (output, rc))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_the_module_reports_pci_driver_and_nvidia_smi(tmp_path):
    rc, result = run_module(
        "nvidia_gpu_info",
        {"sysfs_root": str(sysfs_tree("a100_x8", tmp_path)), "nvidia_smi": fake_nvidia_smi(tmp_path, FIXTURES / "nvidia-smi" / "a100_x8.csv")},
    )
    assert rc == 0 and result["changed"] is False
    assert result["count"] == 8 and result["driver_loaded"] is True
    assert result["nvidia_smi"]["available"] is True and len(result["nvidia_smi"]["gpus"]) == 8


def test_the_module_reports_a_failing_nvidia_smi_in_one_line(tmp_path):
    rc, result = run_module(
        "nvidia_gpu_info",
        {"sysfs_root": str(sysfs_tree("rtx4090_workstation", tmp_path)),
         "nvidia_smi": fake_nvidia_smi(tmp_path, FIXTURES / "nvidia-smi" / "driver_missing.txt", rc=9)},
    )
    assert rc == 0 and result["count"] == 1
    assert result["nvidia_smi"] == {
        "available": False, "gpus": [],
        "error": "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
                 "Make sure that the latest NVIDIA driver is installed and running.",
    }


def test_this_machine_has_no_gpu():
    rc, result = run_module("nvidia_gpu_info", {})
    assert rc == 0 and result["count"] == 0 and result["driver_loaded"] is False
    if not os.path.exists("/usr/bin/nvidia-smi"):
        assert result["nvidia_smi"] == {"available": False, "error": "nvidia-smi not installed", "gpus": []}
