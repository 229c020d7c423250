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
  - raybook developers (@raybook)
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
      - Same as the C(working_dir) key of O(runtime_env); give one or the other.
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
from ansible_collections.raybook.ray.plugins.module_utils.ray_dashboard import (
    DashboardError,
    TaskFailed,
    connect,
    connection_argument_spec,
    fill_from_ray_environment,
)
from ansible_collections.raybook.ray.plugins.module_utils.ray_job_task import JobTask, check_job, check_waiting_options, job_argument_spec


def argument_spec():
    spec = connection_argument_spec(timeout_default=600)
    spec.update(job_argument_spec())
    spec.update(
        wait=dict(type="bool", default=True),
        stop_on_timeout=dict(type="bool", default=True),
        log_tail_lines=dict(type="int", default=100),
        state=dict(type="str", default="present", choices=["present", "stopped", "absent"]),
    )
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_if=[("state", "present", ("entrypoint",))],
    )
    fill_from_ray_environment(module.params)
    error = check_waiting_options(module.params) or check_job(module.params, module.params["state"])
    if error:
        module.fail_json(msg=error)
    dashboard = connect(module)
    try:
        result = JobTask(module.params, dashboard, module.check_mode, module.warn).run()
    except TaskFailed as exc:
        module.fail_json(msg=str(exc), **exc.result)
    except DashboardError as exc:
        module.fail_json(msg=str(exc), submission_id=module.params["submission_id"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
