"""ray_node's stop script picks only the processes of raybook's Ray (its temp dir's sessions), on a process table
shaped like the one `ps` shows here with two Rays running (the integration tests stop real ones)."""

import importlib.util
import os

from tests.helpers import PROJECT_DIR

SPEC = importlib.util.spec_from_file_location("ray_stop_session", PROJECT_DIR / "roles/ray_node/files/ray_stop_session.py")
ray_stop_session = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(ray_stop_session)

RAY = "/opt/raybook/venv/lib/python3.11/site-packages/ray"
OURS, THEIRS, SHELL = 100, 200, os.getsid(0)
TABLE = {
    # raybook's Ray, in a session of its own.
    11: (OURS, 1, RAY + "/core/src/ray/gcs/gcs_server --log_dir=/tmp/raybook-ray/session_2026_1/logs"),
    12: (OURS, 1, "/opt/raybook/venv/bin/python -m ray.util.client.server --address=10.0.0.5:6379"),
    13: (OURS, 1, RAY + "/core/src/ray/raylet/raylet --raylet_socket_name=/tmp/raybook-ray/session_2026_1/sockets/raylet"),
    14: (OURS, 13, "ray::TrainWorker"),
    15: (14, 14, "python train.py"),  # a job driver that started a session of its own: still under our raylet
    16: (OURS, 1, "sleep 1000"),  # not Ray, not started by it: left alone
    # A colleague's Ray with its own temp dir, in its own session.
    21: (THEIRS, 1, RAY + "/core/src/ray/gcs/gcs_server --log_dir=/tmp/ray/session_2026_2/logs"),
    22: (THEIRS, 1, RAY + "/core/src/ray/raylet/raylet --raylet_socket_name=/tmp/ray/session_2026_2/sockets/raylet"),
    23: (THEIRS, 22, "ray::IDLE"),
}


def test_only_raybooks_ray_and_what_it_started_is_stopped():
    assert ray_stop_session.targets("/tmp/raybook-ray", TABLE) == [11, 12, 13, 14, 15]
    assert ray_stop_session.targets("/tmp/raybook-ray/", TABLE) == [11, 12, 13, 14, 15]


def test_a_colleagues_ray_in_the_same_session_is_spared():
    table = dict(TABLE)
    for pid in (21, 22, 23):
        table[pid] = (OURS,) + table[pid][1:]
    assert ray_stop_session.targets("/tmp/raybook-ray", table) == [11, 12, 13, 14, 15]


def test_the_session_the_script_runs_in_is_never_stopped():
    table = {pid: (SHELL,) + entry[1:] for pid, entry in TABLE.items()}
    assert ray_stop_session.targets("/tmp/raybook-ray", table) == []


def test_nothing_to_stop_when_no_process_names_the_folder():
    assert ray_stop_session.targets("/tmp/elsewhere", TABLE) == []
