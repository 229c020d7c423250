# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""The ray_job and ray_job_batch modules' state machines: compare the wanted state of jobs with the cluster's, act,
and report.

It knows nothing of AnsibleModule: the module hands it its params, check mode and a warning callback, and turns
a TaskFailed into fail_json, so the machine can be tested against an in-process fake dashboard."""

from __future__ import annotations

from ansible_collections.raybook.ray.plugins.module_utils.ray_dashboard import (
    STOP_GRACE_S,
    TERMINAL_STATUSES,
    DashboardError,
    TaskFailed,
    check_connection_options,
    check_working_dir,
    extract_result,
    job_failure_line,
    job_summary,
    log_tail,
    merged_runtime_env,
    needs_upload,
)
from ansible_collections.raybook.ray.plugins.module_utils.ray_sdk import check_client_version, sdk_client, within_deadline

UNSUCCESSFUL = ("FAILED", "STOPPED")


def job_argument_spec():
    """What one job is made of: ray_job's options, and each entry of ray_job_batch's `jobs`."""
    return dict(
        entrypoint=dict(type="str"),
        submission_id=dict(type="str"),
        working_dir=dict(type="path"),
        runtime_env=dict(type="dict"),
        entrypoint_num_cpus=dict(type="float"),
        entrypoint_num_gpus=dict(type="float"),
        entrypoint_memory=dict(type="int"),
        entrypoint_resources=dict(type="dict"),
        metadata=dict(type="dict"),
    )


def check_job(params, state="present"):
    """A one-line error for one job's options that cannot work (named as in ray_job), or None."""
    if state in ("stopped", "absent") and not params["submission_id"]:
        return "submission_id: required with state=%s" % state
    if params["submission_id"] is not None and not params["submission_id"].strip():
        return "submission_id: expected a non-empty string"
    if state == "present":
        if not (params["entrypoint"] or "").strip():
            return "entrypoint: expected a non-empty command, for example 'python main.py'"
        error = check_working_dir(params)
        if error:
            return error
    for name in ("entrypoint_num_cpus", "entrypoint_num_gpus", "entrypoint_memory"):
        if params[name] is not None and params[name] < 0:
            return "%s: expected a number >= 0, got %s" % (name, params[name])
    return None


def check_waiting_options(params):
    """A one-line error for the connection or the log tail, or None."""
    error = check_connection_options(params)
    if error:
        return error
    if params["log_tail_lines"] < 0:
        return "log_tail_lines: expected a number >= 0, got %s" % params["log_tail_lines"]
    return None


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
        details = existing
        if existing is None:
            if self.check_mode:
                return dict(changed=True, submission_id=self.id, status=None, message="would be submitted")
            self.id = self.submit()
        else:
            self.warn_if_another_entrypoint(existing)
        if self.params["wait"] and not self.check_mode:
            details = self.wait(details)
        elif details is None:
            details = self.dashboard.job(self.id)
        return self.report(details, changed=existing is None)

    def warn_if_another_entrypoint(self, existing):
        if existing.get("entrypoint") != self.params["entrypoint"]:
            self.warn("submission_id %s already exists with entrypoint %r; not submitted again" % (self.id, existing.get("entrypoint")))

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

    def wait(self, details=None):
        """The job's details once it has ended (a new job's are read by the first poll); at the deadline, the
        job stopped or left running as asked, and the task fails."""
        if details is not None and details.get("status") in TERMINAL_STATUSES:
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
        if fail_on_status and result["status"] in UNSUCCESSFUL:
            raise TaskFailed(job_failure_line(result["submission_id"], result["status"], result["message"], result.get("logs")), result)
        return result


def check_batch(params):
    """A one-line error for ray_job_batch's options, naming the job by its place in `jobs`, or None."""
    error = check_waiting_options(params)
    if error:
        return error
    if not params["jobs"]:
        return "jobs: expected at least one job"
    seen = set()
    for index, job in enumerate(params["jobs"]):
        error = check_job(job)
        if error:
            return "jobs[%d].%s" % (index, error)
        if job["submission_id"] in seen:
            return "jobs[%d].submission_id: %s is given twice" % (index, job["submission_id"])
        if job["submission_id"]:
            seen.add(job["submission_id"])
    return None


class JobBatch:
    """One call of ray_job_batch: each job submitted unless its submission_id is already on the cluster, then all
    waited for together, with one request for the whole batch's statuses per poll."""

    def __init__(self, params, dashboard, check_mode=False, warn=lambda message: None):
        self.params = params
        self.dashboard = dashboard
        self.check_mode = check_mode
        self.tasks = [JobTask(dict(params, state="present", **job), dashboard, check_mode, warn) for job in params["jobs"]]

    def run(self):
        self.dashboard.version()  # reachability first: retried with backoff until the timeout
        known = self.dashboard.jobs_by_id()
        submitted = []
        for task in self.tasks:
            existing = known.get(task.id) if task.id else None
            if existing is not None:
                task.warn_if_another_entrypoint(existing)
                submitted.append(False)
            elif self.check_mode:
                submitted.append(True)
            else:
                task.id = task.submit()
                submitted.append(True)
        if self.check_mode:
            jobs = [dict(changed=new, submission_id=task.id, status=None if new else known[task.id].get("status"),
                         message="would be submitted" if new else "") for task, new in zip(self.tasks, submitted)]
            return dict(changed=any(submitted), jobs=jobs)
        ids = [task.id for task in self.tasks]
        details = self.wait(submitted) if self.params["wait"] else self.dashboard.jobs_by_id(ids)
        result = self.report(details, submitted)
        unsuccessful = [job for job in result["jobs"] if job["status"] in UNSUCCESSFUL]
        if unsuccessful:
            first = unsuccessful[0]
            raise TaskFailed("%d of %d Ray jobs did not succeed (%s); the first: %s" % (
                len(unsuccessful), len(self.tasks), ", ".join(job["submission_id"] for job in unsuccessful),
                job_failure_line(first["submission_id"], first["status"], first["message"], first.get("logs"))), result)
        return result

    def report(self, details, submitted):
        jobs = [task.report(details[task.id], new, fail_on_status=False) for task, new in zip(self.tasks, submitted)]
        return dict(changed=any(submitted), jobs=jobs)

    def wait(self, submitted):
        """Every job's details once all have ended; at the deadline, the rest stopped or left running as asked, and
        the task fails naming them."""
        details = self.dashboard.wait_for_all_terminal([task.id for task in self.tasks])
        running = [task for task in self.tasks if details[task.id].get("status") not in TERMINAL_STATUSES]
        if not running:
            return details
        action = "left running"
        if self.params["stop_on_timeout"]:
            action = "stopped"
            for task in running:
                self.dashboard.stop_job(task.id)
            for task in running:
                details[task.id] = self.dashboard.wait_for_terminal(task.id, grace_s=STOP_GRACE_S) or self.dashboard.job(task.id)
        raise TaskFailed("%d of %d Ray jobs did not finish within %.0fs (%s): %s" % (
            len(running), len(self.tasks), self.params["timeout"], action, ", ".join(task.id for task in running)),
            self.report(details, submitted))
