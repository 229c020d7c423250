"""The nvidia_gpu role on GPU hosts in three states, without a GPU: sysfs fixtures (tests/unit/fixtures/sysfs) and a
fake nvidia-smi that prints what a real one printed stand in for the hardware and the driver. The role runs in
check mode on this machine, so that a wrong path could not add a repository here; what matters is which tasks run."""

import json
import shutil
import subprocess
import sys

from tests.helpers import PROJECT_DIR, VENV_BIN, ansible_env, sysfs_tree

FIXTURES = PROJECT_DIR / "tests" / "unit" / "fixtures"
# Tasks that add repositories or install packages: none may run on a host whose driver is already there.
INSTALL_TASKS = ("Install what Ansible needs", "Add the components", "Add NVIDIA's CUDA", "Add NVIDIA's container",
                 "Install the NVIDIA driver", "Install the NVIDIA container toolkit")


def fake_nvidia_smi(folder, fixture, rc=0):
    script = folder / "nvidia-smi"
    stream = "" if rc == 0 else " >&2"
    script.write_text("#!/bin/sh\ncat %s%s\nexit %d\n" % (FIXTURES / "nvidia-smi" / fixture, stream, rc))
    script.chmod(0o755)
    return script


def run_role(sysfs, nvidia_smi):
    command = [
        str(VENV_BIN / "ansible-playbook"), "--check", "-i", "localhost,", "-c", "local",
        "-e", "ansible_python_interpreter=" + sys.executable,
        "-e", json.dumps({"nvidia_gpu_sysfs_root": str(sysfs), "nvidia_gpu_nvidia_smi": str(nvidia_smi)}),
        str(PROJECT_DIR / "tests" / "playbooks" / "nvidia_gpu.yml"),
    ]
    completed = subprocess.run(command, check=False, env=ansible_env(), cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300)
    tasks = json.loads(completed.stdout)["plays"][0]["tasks"]
    results = {task["task"]["name"].split(" : ")[-1]: task["hosts"].get("localhost", {"skipped": True}) for task in tasks}
    ran = {name: result for name, result in results.items() if not result.get("skipped")}
    return completed.returncode, ran


def installing(ran):
    return [name for name in ran if name.startswith(INSTALL_TASKS)]


def test_a_preinstalled_driver_gets_no_repository_and_no_package(tmp_path):
    rc, ran = run_role(sysfs_tree("h100_x1", tmp_path), fake_nvidia_smi(tmp_path, "h100_x1.csv"))
    assert rc == 0, ran
    assert installing(ran) == []
    assert "keeping the NVIDIA driver already installed" in ran["Say where the driver comes from"]["msg"]
    assert ran["Check that nvidia-smi sees every GPU on the PCI bus"]["msg"] == "All assertions passed"
    assert ran["Show the GPU count the role set"]["nvidia_gpu_count"] == 1
    assert not any(result.get("changed") for result in ran.values())


def test_a_driver_installed_but_not_loaded_is_reported_not_reinstalled(tmp_path):
    sysfs = sysfs_tree("h100_x1", tmp_path)
    shutil.rmtree(sysfs / "module" / "nvidia")
    rc, ran = run_role(sysfs, fake_nvidia_smi(tmp_path, "driver_missing.txt", rc=9))
    assert rc != 0
    assert installing(ran) == []
    message = ran["Check that nvidia-smi sees every GPU on the PCI bus"]["msg"]
    assert message.startswith("nvidia_gpu: 1 GPU(s) on the PCI bus but nvidia-smi fails: NVIDIA-SMI has failed")
    assert "the driver is installed but not loaded: load it with modprobe nvidia, or reboot the host" in message


def test_a_host_without_gpu_is_skipped_with_a_count_of_zero(tmp_path):
    rc, ran = run_role(sysfs_tree("no_gpu", tmp_path), tmp_path / "no-nvidia-smi")
    assert rc == 0
    assert installing(ran) == [] and "Check that nvidia-smi sees every GPU on the PCI bus" not in ran
    assert "No NVIDIA GPU on localhost" in ran["Say that this host has no NVIDIA GPU and skip it"]["msg"]
    assert ran["Remember how many GPUs this host has"]["ansible_facts"]["nvidia_gpu_count"] == 0
