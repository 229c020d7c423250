"""What a running job is doing, from Ray's Jobs API: the CLI's live line while a workload runs and `raybook logs
--follow`. The address and token file come from the run's run.json (written by ray_workloads when the run starts);
what cannot be reached is simply not shown: the playbook's own progress goes on."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

REQUEST_TIMEOUT_S = 3
# A job in these has not ended yet.
ACTIVE_STATUSES = ("PENDING", "RUNNING")


class JobsAPI:
    """The few read-only calls of Ray's Jobs REST API this needs."""

    def __init__(self, address, token_file=None):
        self.address = address.rstrip("/")
        self.headers = {}
        token_path = Path(token_file).expanduser() if token_file else None
        if token_path and token_path.is_file():
            self.headers["Authorization"] = "Bearer " + token_path.read_text().strip()

    @classmethod
    def for_run(cls, run_dir):
        """The API of the cluster a run is using, or None before the run has written run.json."""
        try:
            run = json.loads((Path(run_dir) / "run.json").read_text())
            return cls(run["address"], run.get("auth_token_file"))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def get(self, path):
        request = urllib.request.Request(self.address + path, headers=self.headers)
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:  # noqa: S310 (http(s) only)
            return json.loads(response.read() or b"null")

    def job(self, submission_id):
        return self.get("/api/jobs/" + quote(submission_id, safe=""))

    def logs(self, submission_id):
        return (self.get("/api/jobs/%s/logs" % quote(submission_id, safe="")) or {}).get("logs") or ""

    def running_job(self, run_id):
        """The run's job that is running now (PENDING or RUNNING), or None."""
        for job in self.get("/api/jobs/") or []:
            metadata = job.get("metadata") or {}
            if metadata.get("raybook_run_id") == run_id and job.get("status") in ACTIVE_STATUSES:
                return job
        return None


def last_line(logs):
    lines = [line.strip() for line in logs.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def job_line(job, logs, now=None):
    """'train RUNNING 42s: epoch 5 loss 0.41' for the live line."""
    started = (job.get("start_time") or 0) / 1000
    elapsed = max(0, (now or time.time()) - started) if started else 0
    name = (job.get("metadata") or {}).get("raybook_workload") or job.get("submission_id")
    text = "%s %s %.0fs" % (name, job.get("status"), elapsed)
    line = last_line(logs)
    return text + (": " + line if line else "")


class JobWatch(threading.Thread):
    """While a run goes on, shows its running job on the progress display every `interval` seconds."""

    def __init__(self, run_dir, run_id, progress, interval=2.0):
        super().__init__(daemon=True, name="raybook-job-watch")
        self.run_dir, self.run_id, self.progress, self.interval = run_dir, run_id, progress, interval
        self.finished = threading.Event()

    def run(self):
        api = None
        while not self.finished.wait(self.interval):
            api = api or JobsAPI.for_run(self.run_dir)
            if api is None:
                continue
            try:
                job = api.running_job(self.run_id)
                if job:
                    self.progress.job(job_line(job, api.logs(job["submission_id"])))
            except (OSError, ValueError):
                continue  # the dashboard is busy or gone: the playbook says what happened

    def stop(self):
        self.finished.set()
        self.join(timeout=REQUEST_TIMEOUT_S * 2)


def follow(api, submission_id, write, interval=1.0, sleep=time.sleep):
    """Write a job's log as it grows until the job ends; return its final status."""
    shown = 0
    while True:
        status = (api.job(submission_id) or {}).get("status")
        logs = api.logs(submission_id)
        if len(logs) > shown:
            write(logs[shown:])
            shown = len(logs)
        if status not in ACTIVE_STATUSES:
            return status
        sleep(interval)
