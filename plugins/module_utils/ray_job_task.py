# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""The ray_job module's state machine: compare the wanted state of one job with the cluster's, act, and report.

It knows nothing of AnsibleModule: the module hands it its params, check mode and a warning callback, and turns
a TaskFailed into fail_json, so the machine can be tested against an in-process fake dashboard."""

from __future__ import annotations

from ansible_collections.raybook.ray.plugins.module_utils.ray_dashboard import (
    STOP_GRACE_S,
    TERMINAL_STATUSES,
    DashboardError,
    TaskFailed,
    extract_result,
    job_failure_line,
    job_summary,
    log_tail,
    merged_runtime_env,
    needs_upload,
)
from ansible_collections.raybook.ray.plugins.module_utils.ray_sdk import check_client_version, sdk_client, within_deadline


class JobTask:
    """One call of ray_job: present (submit once, wait), stopped or absent."""

    def __init__(self, params, dashboard, check_mode=False, warn=lambda message: None):
        self.params = params
        self.dashboard = dashboard
        self.check_mode = check_mode
        self.warn = warn
        self.id = params["submission_id"]

    def run(self):
        state = self.params["state"]
        self.dashboard.version()  # reachability first: retried with backoff until the timeout
        existing = self.dashboard.job(self.id) if self.id else None
        if state == "present":
            return self.present(existing)
        if state == "stopped":
            return self.stopped(existing)
        return self.absent(existing)

    def present(self, existing):
        changed = False
        if existing is None:
            if self.check_mode:
                return dict(changed=True, submission_id=self.id, status=None, message="would be submitted")
            self.id = self.submit()
            changed = True
        elif existing.get("entrypoint") != self.params["entrypoint"]:
            self.warn("submission_id %s already exists with entrypoint %r; not submitted again" % (self.id, existing.get("entrypoint")))
        details = self.dashboard.job(self.id) if changed else existing
        if self.params["wait"] and not self.check_mode:
            details = self.wait(details)
        return self.report(details, changed)

    def stopped(self, existing):
        if existing is None:
            raise DashboardError("submission_id %s: no such job at %s" % (self.id, self.dashboard.address))
        if existing.get("status") in TERMINAL_STATUSES:
            return self.report(existing, changed=False, fail_on_status=False)
        if self.check_mode:
            return self.report(existing, changed=True, fail_on_status=False)
        details = self.stop(wait=self.params["wait"]) or self.dashboard.job(self.id)
        return self.report(details, changed=True, fail_on_status=False)

    def absent(self, existing):
        if existing is None:
            return dict(changed=False, submission_id=self.id, status=None, message="")
        if not self.check_mode:
            if existing.get("status") not in TERMINAL_STATUSES and self.stop() is None:
                raise DashboardError("job %s did not stop within %.0fs; not deleted" % (self.id, self.params["timeout"]))
            self.dashboard.delete_job(self.id)
        return dict(changed=True, submission_id=self.id, status=None, message="deleted")

    def stop(self, wait=True):
        """Stop the job; with wait, its details once it has ended (None if it outlives the grace period)."""
        self.dashboard.stop_job(self.id)
        return self.dashboard.wait_for_terminal(self.id, grace_s=STOP_GRACE_S) if wait else None

    def submit(self):
        runtime_env = merged_runtime_env(self.params)
        metadata = {str(key): str(value) for key, value in (self.params["metadata"] or {}).items()}
        job = dict(
            entrypoint=self.params["entrypoint"],
            submission_id=self.id,
            runtime_env=runtime_env or None,
            metadata=metadata or None,
            entrypoint_num_cpus=self.params["entrypoint_num_cpus"],
            entrypoint_num_gpus=self.params["entrypoint_num_gpus"],
            entrypoint_memory=self.params["entrypoint_memory"],
            entrypoint_resources=self.params["entrypoint_resources"],
        )
        if not needs_upload(runtime_env):
            # Nothing to upload: the Jobs API takes the job directly, without loading Ray's SDK (about a second).
            check_client_version(self.dashboard)
            return self.dashboard.submit_job({key: value for key, value in job.items() if value is not None})
        with sdk_client(self.dashboard, self.params["validate_certs"], "submitting to") as client:
            return within_deadline(self.dashboard, "uploading the job's code to", lambda: client.submit_job(**job))

    def wait(self, details):
        if details.get("status") in TERMINAL_STATUSES:
            return details
        finished = self.dashboard.wait_for_terminal(self.id)
        if finished is not None:
            return finished
        if self.params["stop_on_timeout"]:
            action, details = "stopped", self.stop() or self.dashboard.job(self.id)
        else:
            action, details = "left running", self.dashboard.job(self.id)
        result = self.report(details, changed=True, fail_on_status=False)
        raise TaskFailed("job %s did not finish within %.0fs (%s)" % (self.id, self.params["timeout"], action), result)

    def report(self, details, changed, fail_on_status=True):
        result = dict(changed=changed, **job_summary(details))
        if details.get("status") in TERMINAL_STATUSES:
            logs = self.dashboard.job_logs(result["submission_id"])
            result["logs"] = log_tail(logs, self.params["log_tail_lines"])
            result["result"] = extract_result(logs)
        if fail_on_status and result["status"] in ("FAILED", "STOPPED"):
            raise TaskFailed(job_failure_line(result["submission_id"], result["status"], result["message"], result.get("logs")), result)
        return result
