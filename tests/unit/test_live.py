"""Following a running job: the CLI's live line and `raybook logs --follow`, against an in-process fake of Ray's Jobs
REST API (real HTTP on loopback). A fake, because a real job's log lines arrive whenever Ray flushes them; the
integration tests follow real jobs."""

import io
import json
import subprocess
import time

import pytest

from raybook import display, live
from tests.helpers import VENV_BIN
from tests.fake_dashboard import json_server

TOKEN = "t" * 40
LOG_LINES = ["Running entrypoint for job raybook-r1-train", "epoch 1 loss 0.9", "epoch 2 loss 0.5", "done"]


class FakeJobs:
    """A run's train job whose log grows by a line each time it is read, and which SUCCEEDS after the last line;
    plus another run's job that must be left alone."""

    def __init__(self):
        self.reads = 0
        self.started_ms = int(time.time() * 1000) - 42_000

    def job(self):
        status = "RUNNING" if self.reads < len(LOG_LINES) else "SUCCEEDED"
        return {"submission_id": "raybook-r1-train", "status": status, "start_time": self.started_ms,
                "metadata": {"raybook_run_id": "r1", "raybook_workload": "train"}}

    def routes(self, path):
        if path == "/api/jobs/":
            other = {"submission_id": "raybook-r0-smoke", "status": "RUNNING", "metadata": {"raybook_run_id": "r0"}}
            return [other, self.job()]
        if path == "/api/jobs/raybook-r1-train":
            return self.job()
        if path == "/api/jobs/raybook-r1-train/logs":
            self.reads += 1
            return {"logs": "".join(line + "\n" for line in LOG_LINES[: self.reads])}
        return None


@pytest.fixture
def dashboard():
    jobs = FakeJobs()

    def answer(method, path, headers, body):
        if headers.get("Authorization") != "Bearer " + TOKEN:
            return 401, None
        document = jobs.routes(path)
        return (404 if document is None else 200), document

    with json_server(answer) as address:
        yield address, jobs


@pytest.fixture
def running_run(tmp_path, dashboard):
    """results/r1 as ray_workloads leaves it while its jobs run: run.json, no summary.json yet."""
    address, _unused = dashboard
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    run_dir = tmp_path / "results" / "r1"
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"run_id": "r1", "address": address, "auth_token_file": str(token_file)}))
    return run_dir


class Recorder:
    def __init__(self):
        self.lines = []

    def job(self, text):
        self.lines.append(text)


def test_the_live_line_shows_the_runs_job_its_time_and_last_log_line(running_run):
    progress = Recorder()
    watch = live.JobWatch(running_run, "r1", progress, interval=0.05)
    watch.start()
    deadline = time.monotonic() + 10
    while len(progress.lines) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    watch.stop()
    assert progress.lines[0].startswith("train RUNNING 4")  # 42 s and counting
    assert progress.lines[0].endswith("s: Running entrypoint for job raybook-r1-train")
    assert progress.lines[1].endswith(": epoch 1 loss 0.9")
    assert not watch.is_alive()


def test_without_run_json_or_a_dashboard_the_watch_shows_nothing(tmp_path):
    progress = Recorder()
    (tmp_path / "run.json").write_text(json.dumps({"address": "http://127.0.0.1:9"}))  # nothing listens there
    for folder in (tmp_path / "missing", tmp_path):
        watch = live.JobWatch(folder, "r1", progress, interval=0.05)
        watch.start()
        time.sleep(0.3)
        watch.stop()
    assert progress.lines == []


def test_follow_prints_the_log_as_it_grows_until_the_job_ends(running_run):
    api = live.JobsAPI.for_run(running_run)
    written = []
    assert live.follow(api, "raybook-r1-train", written.append, interval=0) == "SUCCEEDED"
    assert "".join(written) == "".join(line + "\n" for line in LOG_LINES)
    assert all(chunk.count("\n") == 1 for chunk in written)  # each line once


def test_raybook_logs_follow_streams_a_running_job(running_run):
    completed = subprocess.run(
        [str(VENV_BIN / "raybook"), "logs", "train", "--run", "r1", "--follow", "--results-dir", str(running_run.parent)],
        check=False, capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "".join(line + "\n" for line in LOG_LINES)


class Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def test_on_a_terminal_the_job_rewrites_the_task_line():
    stream = Stream(tty=True)
    progress = display.Progress(stream=stream)
    progress.start("playbooks/workloads.yml")
    progress.task("Submit the workload as a Ray job and wait for it")
    progress.job("train RUNNING 12s: epoch 2 loss 0.5")
    last = stream.getvalue().split("\r\033[K")[-1]
    assert last.startswith("playbooks/workloads.yml [  1]") and last.endswith("train RUNNING 12s: epoch 2 loss 0.5")


def test_without_a_terminal_job_lines_are_plain_and_sparse(monkeypatch):
    stream = Stream(tty=False)
    progress = display.Progress(stream=stream)
    now = [1000.0]
    monkeypatch.setattr(display.time, "monotonic", lambda: now[0])
    for text in ("train RUNNING 2s: a", "train RUNNING 4s: b", "train RUNNING 4s: b"):
        progress.job(text)
        now[0] += 2
    now[0] += display.PLAIN_JOB_LINE_EVERY_S
    progress.job("train RUNNING 20s: c")
    assert stream.getvalue() == "  job: train RUNNING 2s: a\n  job: train RUNNING 20s: c\n"
    machine = Stream(tty=False)
    display.Progress(stream=machine, enabled=False).job("train RUNNING 2s: a")  # --json
    assert machine.getvalue() == ""


def test_quiet_keeps_only_the_running_jobs_plain_line():
    stream = Stream(tty=True)
    progress = display.Progress(stream=stream, quiet=True)
    progress.start("playbooks/workloads.yml")
    progress.task("Submit the workload as a Ray job and wait for it")
    progress.job("train RUNNING 12s: epoch 2 loss 0.5")
    progress.failure({"host": "localhost", "task": "t", "msg": "m"})
    progress.done()
    assert stream.getvalue() == "  job: train RUNNING 12s: epoch 2 loss 0.5\n"
