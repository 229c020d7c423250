"""Faults, for real on this machine: a worker node lost in the middle of training, and a play killed half-way
through starting the cluster."""

import os
import signal
import subprocess
import threading
import time

from tests.helpers import (
    DASHBOARD, HEAD_WORKER_INVENTORY, LOCAL_INVENTORY, PROJECT_DIR, VENV_BIN, ansible_env, run_module, run_playbook,
    stop_ray,
)

TRAIN_TIMEOUT_S = 60
# What ray_job may take beyond its timeout: stopping the job, and Ansible's own start-up.
STOP_ALLOWANCE_S = 45


def worker_raylet_pids():
    found = subprocess.run(["pgrep", "-f", "raylet.*127.0.0.2"], check=False, capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def test_losing_a_worker_during_training_ends_the_job_within_its_timeout():
    stop_ray()
    cluster = run_playbook("playbooks/cluster.yml", inventory=HEAD_WORKER_INVENTORY)
    assert cluster.ok, cluster.failures

    def kill_the_worker_once_training_runs():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rc, info = run_module("ray_job_info", {"submission_id": "fault-train"})
            if rc == 0 and info["jobs"] and info["jobs"][0]["status"] == "RUNNING":
                time.sleep(8)  # the trainer's workers are placed on both nodes by now
                for pid in worker_raylet_pids():
                    os.kill(pid, signal.SIGKILL)
                return
            time.sleep(1)

    killer = threading.Thread(target=kill_the_worker_once_training_runs)
    killer.start()
    started = time.monotonic()
    rc, result = run_module("ray_job", {
        "submission_id": "fault-train", "working_dir": str(PROJECT_DIR / "workloads" / "train"),
        "entrypoint": "python train.py --epochs 40 --workers 2", "timeout": TRAIN_TIMEOUT_S,
        "runtime_env": {"env_vars": {"RAYBOOK_STORAGE_PATH": "/tmp/raybook-fault-storage"}},
    })
    elapsed = time.monotonic() - started
    killer.join()
    assert elapsed < TRAIN_TIMEOUT_S + STOP_ALLOWANCE_S
    # Ray Train either finishes on what is left, or the job ends (failed, or stopped at its timeout) saying why. Here,
    # measured: the trainer waits for a second worker slot that never comes back, and the job is stopped at its timeout.
    assert result["status"] in ("SUCCEEDED", "FAILED", "STOPPED"), result
    if rc != 0:
        assert "\n" not in result["msg"] and result["msg"], result["msg"]
    stop_ray()


def test_a_play_killed_while_starting_the_cluster_converges_on_the_next_run():
    stop_ray()
    play = subprocess.Popen(
        [str(VENV_BIN / "ansible-playbook"), "-i", str(LOCAL_INVENTORY), "playbooks/cluster.yml"],
        cwd=PROJECT_DIR, env=ansible_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not subprocess.run(["pgrep", "-f", "gcs_server"], check=False, capture_output=True).stdout:
        time.sleep(0.2)
    os.killpg(play.pid, signal.SIGKILL)  # mid-start: Ray's processes are coming up, the play is gone
    play.wait()

    again = run_playbook("playbooks/cluster.yml", inventory=LOCAL_INVENTORY)
    assert again.ok, again.failures
    rc, info = run_module("ray_cluster_info", {"address": DASHBOARD})
    assert rc == 0 and info["nodes_alive"] == 1
    stop_ray()
