"""The port-forward's pid file: kept in a private folder, and never used to signal anything but that kubectl
port-forward. Real processes stand in for kubectl (a `sleep` whose command line reads like one, and one that
does not); no Kubernetes API is needed to stop a port-forward."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import PROJECT_DIR, VENV_BIN, ansible_env


def stop_port_forward(run_dir):
    extra = {"raycluster_port_forward_state": "stopped", "raycluster_port_forward_dir": str(run_dir),
             "ansible_python_interpreter": sys.executable}
    return subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "tests/playbooks/port_forward.yml", "-i", "localhost,", "-c", "local",
         "-e", json.dumps(extra)],
        check=False, cwd=PROJECT_DIR, env=ansible_env(), capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def processes():
    started = []

    def start(*argv):
        # exec -a gives the process the command line a real kubectl port-forward would have.
        process = subprocess.Popen(["bash", "-c", 'exec -a "$0" sleep 600', *argv])
        started.append(process)
        time.sleep(0.2)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()


def alive(process):
    return process.poll() is None


def test_a_planted_pid_is_not_killed_and_the_folder_is_private(tmp_path, processes):
    victim = processes("sleep")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "port-forward-ray-raybook.pid").write_text(str(victim.pid))
    completed = stop_port_forward(run_dir)
    assert completed.returncode == 0, completed.stdout[-2000:]
    assert alive(victim)
    assert not (run_dir / "port-forward-ray-raybook.pid").exists()
    assert oct(run_dir.stat().st_mode & 0o777) == "0o700"


def test_the_port_forward_it_started_is_stopped(tmp_path, processes):
    forward = processes("kubectl port-forward --address 127.0.0.1 --namespace ray svc/raybook-head-svc 18265:8265")
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o700)
    (run_dir / "port-forward-ray-raybook.pid").write_text("%d\n" % forward.pid)
    completed = stop_port_forward(run_dir)
    assert completed.returncode == 0, completed.stdout[-2000:]
    forward.wait(timeout=10)
    assert forward.returncode == -signal.SIGTERM


# The last case is a live process's pid, named so by a fixed id (pytest-xdist's workers differ in their pids).
@pytest.mark.parametrize("content", ["", "not-a-pid", "1; rm -rf /", pytest.param(str(os.getpid()), id="a-live-pid")])
def test_a_pid_file_with_anything_else_is_removed_and_nothing_signalled(tmp_path, content):
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o700)
    (run_dir / "port-forward-ray-raybook.pid").write_text(content)
    completed = stop_port_forward(run_dir)
    assert completed.returncode == 0, completed.stdout[-2000:]
    assert not (run_dir / "port-forward-ray-raybook.pid").exists()
