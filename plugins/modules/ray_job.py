#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ray_job
short_description: Submit, wait for, stop or delete a Ray job
version_added: "0.1.0"
description:
  - Submits a job to a Ray cluster through its dashboard's Jobs API with Ray's C(JobSubmissionClient).
  - O(submission_id) is the idempotency key. A job whose id already exists on the cluster is not submitted
    again; the task reports RV(status) of that job with C(changed=false).
  - A job that ends C(FAILED) or C(STOPPED) fails the task in one line, with Ray's verdict and the last line the driver
    logged (RV(logs) holds the tail).
  - An unreachable dashboard is retried with backoff until O(timeout), then the task fails naming the address.
  - Before submitting, the Ray version of this module's Python is compared with the cluster's; a mismatch
    fails the task.
  - The driver may print one line C(RAYBOOK_RESULT <json>); that JSON document is returned as RV(result).
author:
  - raybook developers
requirements:
  - ray (the same version as the cluster) on the host that runs the module, for O(state=present)
options:
  entrypoint:
    description:
      - The shell command the driver runs, for example C(python train.py).
      - Required with O(state=present).
    type: str
  submission_id:
    description:
      - The job's id, and the idempotency key. Without it Ray makes one up and every run submits a new job.
      - Required with O(state=stopped) and O(state=absent).
    type: str
  working_dir:
    description:
      - A directory on the host that runs the module. Ray's SDK zips and uploads it, and the driver starts in it.
      - Same as O(runtime_env.working_dir); give one or the other.
    type: path
  runtime_env:
    description: Ray runtime environment of the job (C(pip), C(env_vars), C(py_modules), ...).
    type: dict
  entrypoint_num_cpus:
    description: CPUs reserved for the driver.
    type: float
  entrypoint_num_gpus:
    description: GPUs reserved for the driver.
    type: float
  entrypoint_memory:
    description: Memory reserved for the driver, in bytes.
    type: int
  entrypoint_resources:
    description: Custom resources reserved for the driver.
    type: dict
  metadata:
    description: String key/value pairs stored with the job.
    type: dict
  wait:
    description: Wait until the job ends (or is stopped, or deleted).
    type: bool
    default: true
  timeout:
    description:
      - Seconds this task may take in all, reaching the dashboard and waiting for the job included.
    type: float
    default: 600
  stop_on_timeout:
    description: Stop the job when O(wait) runs past O(timeout).
    type: bool
    default: true
  log_tail_lines:
    description: How many of the driver's last log lines to return in RV(logs).
    type: int
    default: 100
  state:
    description:
      - V(present) submits the job unless its id exists.
      - V(stopped) stops it if it still runs.
      - V(absent) stops it if needed and deletes it with its logs.
    type: str
    choices: [present, stopped, absent]
    default: present
extends_documentation_fragment:
  - raybook.ray.ray_connection
attributes:
  check_mode:
    support: full
    description: Reports what would change and submits, stops or deletes nothing.
notes:
  - The job's Python runs on the cluster, with the C(python) found on the Ray node's C(PATH).
seealso:
  - module: raybook.ray.ray_job_info
  - module: raybook.ray.ray_cluster_info
"""

EXAMPLES = r"""
- name: Run the smoke job once and wait for it
  raybook.ray.ray_job:
    address: http://127.0.0.1:8265
    submission_id: raybook-site-smoke
    entrypoint: python smoke.py
    working_dir: /srv/raybook/workloads/smoke
    timeout: 300
  register: smoke

- name: Show what the driver reported
  ansible.builtin.debug:
    var: smoke.result

- name: Start a long job without waiting for it
  raybook.ray.ray_job:
    submission_id: nightly-train
    entrypoint: python train.py --epochs 50
    runtime_env:
      working_dir: /srv/train
      env_vars:
        OMP_NUM_THREADS: "4"
    entrypoint_num_cpus: 1
    wait: false

- name: Stop it
  raybook.ray.ray_job:
    submission_id: nightly-train
    state: stopped

- name: Delete it and its logs
  raybook.ray.ray_job:
    submission_id: nightly-train
    state: absent
"""

RETURN = r"""
submission_id:
  description: The job's id.
  returned: always
  type: str
  sample: raybook-site-smoke
status:
  description: The job's status (V(PENDING), V(RUNNING), V(SUCCEEDED), V(FAILED), V(STOPPED)); null when absent
    or not yet submitted in check mode.
  returned: always
  type: str
  sample: SUCCEEDED
message:
  description: Ray's message about the job.
  returned: always
  type: str
  sample: Job finished successfully.
entrypoint:
  description: The job's entrypoint as Ray stored it.
  returned: when the job exists
  type: str
metadata:
  description: The job's metadata.
  returned: when the job exists
  type: dict
driver_exit_code:
  description: Exit code of the driver process.
  returned: when the job exists
  type: int
  sample: 0
start_time:
  description: When the job started (ISO-8601, UTC).
  returned: when the job exists
  type: str
  sample: "2026-11-25T20:10:01.123000+00:00"
end_time:
  description: When the job ended (ISO-8601, UTC).
  returned: when the job exists
  type: str
duration_s:
  description: Seconds between start and end.
  returned: when the job exists
  type: float
  sample: 4.21
logs:
  description: The last O(log_tail_lines) lines of the driver's log.
  returned: when the job has ended
  type: str
result:
  description: The JSON document the driver printed after C(RAYBOOK_RESULT); null when it printed none.
  returned: when the job has ended
  type: raw
  sample: {"CPU": 2.0}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.raybook.ray.plugins.module_utils.ray_client import (
    STOP_GRACE_S,
    TERMINAL_STATUSES,
    RayClientError,
    connect,
    check_connection_options,
    check_working_dir,
    connection_argument_spec,
    fill_from_ray_environment,
    job_failure_line,
    extract_result,
    job_summary,
    log_tail,
    needs_upload,
)
from ansible_collections.raybook.ray.plugins.module_utils.ray_sdk import check_client_version, sdk_client, within_deadline


def argument_spec():
    spec = connection_argument_spec(timeout_default=600)
    spec.update(
        entrypoint=dict(type="str"),
        submission_id=dict(type="str"),
        working_dir=dict(type="path"),
        runtime_env=dict(type="dict"),
        entrypoint_num_cpus=dict(type="float"),
        entrypoint_num_gpus=dict(type="float"),
        entrypoint_memory=dict(type="int"),
        entrypoint_resources=dict(type="dict"),
        metadata=dict(type="dict"),
        wait=dict(type="bool", default=True),
        stop_on_timeout=dict(type="bool", default=True),
        log_tail_lines=dict(type="int", default=100),
        state=dict(type="str", default="present", choices=["present", "stopped", "absent"]),
    )
    return spec


def check_job_options(params):
    """Return a one-line error for inputs that cannot work, before anything reaches the cluster."""
    error = check_connection_options(params)
    if error:
        return error
    state = params["state"]
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
    if params["log_tail_lines"] < 0:
        return "log_tail_lines: expected a number >= 0, got %s" % params["log_tail_lines"]
    return None


class JobTask:
    """One run of the module: compares the wanted state with the cluster's and acts."""

    def __init__(self, module, dashboard):
        self.module = module
        self.params = module.params
        self.dashboard = dashboard
        self.id = self.params["submission_id"]

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
            if self.module.check_mode:
                return dict(changed=True, submission_id=self.id, status=None, message="would be submitted")
            self.id = self.submit()
            changed = True
        elif existing.get("entrypoint") != self.params["entrypoint"]:
            self.module.warn(
                "submission_id %s already exists with entrypoint %r; not submitted again" % (self.id, existing.get("entrypoint"))
            )
        details = self.dashboard.job(self.id) if changed else existing
        if self.params["wait"] and not self.module.check_mode:
            details = self.wait(details)
        return self.report(details, changed)

    def stopped(self, existing):
        if existing is None:
            raise RayClientError("submission_id %s: no such job at %s" % (self.id, self.dashboard.address))
        if existing.get("status") in TERMINAL_STATUSES:
            return self.report(existing, changed=False, fail_on_status=False)
        if self.module.check_mode:
            return self.report(existing, changed=True, fail_on_status=False)
        details = self.stop(wait=self.params["wait"]) or self.dashboard.job(self.id)
        return self.report(details, changed=True, fail_on_status=False)

    def absent(self, existing):
        if existing is None:
            return dict(changed=False, submission_id=self.id, status=None, message="")
        if not self.module.check_mode:
            if existing.get("status") not in TERMINAL_STATUSES and self.stop() is None:
                raise RayClientError("job %s did not stop within %.0fs; not deleted" % (self.id, self.params["timeout"]))
            self.dashboard.delete_job(self.id)
        return dict(changed=True, submission_id=self.id, status=None, message="deleted")

    def stop(self, wait=True):
        """Stop the job; with wait, its details once it has ended (None if it outlives the grace period)."""
        self.dashboard.stop_job(self.id)
        return self.dashboard.wait_for_terminal(self.id, grace_s=STOP_GRACE_S) if wait else None

    def submit(self):
        runtime_env = dict(self.params["runtime_env"] or {})
        if self.params["working_dir"]:
            runtime_env["working_dir"] = self.params["working_dir"]
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
        result["msg"] = "job %s did not finish within %.0fs (%s)" % (self.id, self.params["timeout"], action)
        self.module.fail_json(**result)

    def report(self, details, changed, fail_on_status=True):
        result = dict(changed=changed, **job_summary(details))
        if details.get("status") in TERMINAL_STATUSES:
            logs = self.dashboard.job_logs(result["submission_id"])
            result["logs"] = log_tail(logs, self.params["log_tail_lines"])
            result["result"] = extract_result(logs)
        if fail_on_status and result["status"] in ("FAILED", "STOPPED"):
            result["msg"] = job_failure_line(result["submission_id"], result["status"], result["message"], result.get("logs"))
            self.module.fail_json(**result)
        return result


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_if=[("state", "present", ("entrypoint",))],
    )
    fill_from_ray_environment(module.params)
    error = check_job_options(module.params)
    if error:
        module.fail_json(msg=error)
    dashboard = connect(module)
    try:
        result = JobTask(module, dashboard).run()
    except RayClientError as exc:
        module.fail_json(msg=str(exc), submission_id=module.params["submission_id"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
