"""One deadline per module call: dashboards that hang, or answer only their version and then hang, are given up on
within the task's timeout, in one line. The dashboards are in-process fakes on loopback (a real dashboard cannot be
made to hang on purpose); the modules run for real through `ansible`."""

import socket
import threading
import time
from importlib.metadata import version

import pytest

from tests.helpers import run_module
from tests.fake_dashboard import json_server

# Ansible's own start-up and the module's imports, on top of the task's timeout.
SLACK_S = 20


@pytest.fixture
def silent_dashboard():
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    yield "http://127.0.0.1:%d" % listener.getsockname()[1]
    stop.set()
    for connection in held:
        connection.close()
    listener.close()


@pytest.fixture
def dashboard_that_hangs_after_its_version():
    """Answers /api/version (with this host's Ray version, so the client's check passes), then hangs on the rest."""
    release = threading.Event()

    def answer(method, path, headers, body):
        if path.startswith("/api/version"):
            return 200, {"version": "4", "ray_version": version("ray"), "ray_commit": "x"}
        release.wait(120)
        return 503, None

    with json_server(answer) as address:
        yield address
        release.set()


def timed(module, args):
    started = time.monotonic()
    rc, result = run_module(module, args, token=False)
    return rc, result, time.monotonic() - started


@pytest.mark.parametrize("module, args", [
    ("ray_cluster_info", {}),
    ("ray_job", {"entrypoint": "true"}),
    ("ray_job_info", {}),
])
def test_a_dashboard_that_never_answers_is_given_up_on_at_the_deadline(silent_dashboard, module, args):
    rc, result, elapsed = timed(module, dict(args, address=silent_dashboard, timeout=3))
    assert rc != 0
    assert result["msg"].startswith("Ray dashboard at %s unreachable after 3s" % silent_dashboard), result["msg"]
    assert elapsed < 3 + SLACK_S


def test_an_upload_that_hangs_ends_at_the_deadline(dashboard_that_hangs_after_its_version, tmp_path):
    (tmp_path / "main.py").write_text("print('hello')\n")
    rc, result, elapsed = timed("ray_job", {
        "entrypoint": "python main.py", "working_dir": str(tmp_path),
        "address": dashboard_that_hangs_after_its_version, "timeout": 5,
    })
    assert rc != 0
    assert result["msg"] == "uploading the job's code to %s did not finish within 5s (timeout)" % dashboard_that_hangs_after_its_version
    assert elapsed < 5 + SLACK_S


@pytest.mark.parametrize("module", ["ray_job", "ray_serve", "ray_cluster_info", "ray_job_info"])
@pytest.mark.parametrize("timeout", ["inf", "nan", "-inf"])
def test_a_timeout_that_is_not_a_finite_number_is_refused(module, timeout):
    args = {"ray_job": {"entrypoint": "true"}, "ray_serve": {"name": "app", "import_path": "app:app"}}.get(module, {})
    rc, result = run_module(module, dict(args, timeout=timeout, address="http://127.0.0.1:9"), token=False)
    assert rc != 0
    assert result["msg"].startswith("timeout: expected a finite number of seconds >= 0, got "), result["msg"]
