"""Shared test set-up: import the collection's module_utils, and run modules and playbooks for real."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR / "collections"))

from raybook import display, driver  # noqa: E402

VENV_BIN = Path(sys.executable).parent
LOCAL_INVENTORY = PROJECT_DIR / "inventory" / "local.yml"
HEAD_WORKER_INVENTORY = PROJECT_DIR / "tests" / "inventory" / "head_worker" / "hosts.yml"
GPU_LOCAL_INVENTORY = PROJECT_DIR / "tests" / "inventory" / "gpu_local" / "hosts.yml"
DASHBOARD = "http://127.0.0.1:8265"


def ansible_env():
    env = dict(os.environ)
    env.update(driver.runner_env())
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.builtin.json"
    env["ANSIBLE_LOAD_CALLBACK_PLUGINS"] = "1"
    return env


def run_module(module, args, check=False):
    """Run one raybook module on localhost with the real `ansible` command; return (rc, result dict)."""
    command = [
        str(VENV_BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
        "-e", "ansible_python_interpreter=" + sys.executable,
        "-m", "raybook.ray." + module,
    ]
    if args:  # ansible reads an empty `-a {}` as free-form text
        command += ["-a", json.dumps(args)]
    if check:
        command.append("--check")
    completed = subprocess.run(command, env=ansible_env(), cwd=PROJECT_DIR, capture_output=True, text=True, timeout=900)
    document = json.loads(completed.stdout)
    result = document["plays"][0]["tasks"][0]["hosts"]["localhost"]
    return completed.returncode, result


def run_playbook(playbook, inventory=LOCAL_INVENTORY, **extravars):
    """Run a project playbook through ansible-runner (as the CLI does); return the Outcome."""
    return driver.run_playbook(playbook, inventory, display.Progress(enabled=False), extravars)


def total(outcome, key):
    return sum(counts[key] for counts in outcome.hosts.values())


def stop_ray():
    subprocess.run([str(VENV_BIN / "ray"), "stop", "--force"], capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def project_dir():
    return PROJECT_DIR
