#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ray_job_batch
short_description: Submit many Ray jobs in one task and wait for them together
version_added: "0.2.0"
description:
  - Submits every job of O(jobs) to a Ray cluster through its dashboard's Jobs API, then waits for all of them
    together, asking the cluster for the whole batch's statuses in one request per poll, and returns each job's
    result in RV(jobs), in the order given.
  - One task instead of one per job (or async tasks polled by C(async_status)) saves Ansible's cost per task, about a
    second per job.
  - Each job's O(jobs[].submission_id) is its idempotency key, as in M(raybook.ray.ray_job). A job whose id
    already exists on the cluster is not submitted again.
  - When a job ends C(FAILED) or C(STOPPED) the task fails in one line, naming how many did and the first one's
    verdict; RV(jobs) still holds every job's result.
  - When O(timeout) passes first, the jobs still running are stopped (O(stop_on_timeout)) and named.
author:
  - raybook developers (@raybook)
requirements:
  - ray (the same version as the cluster) on the host that runs the module, for jobs that upload a O(jobs[].working_dir)
options:
  jobs:
    description: The jobs, each with the job options of M(raybook.ray.ray_job).
    type: list
    elements: dict
    required: true
    suboptions:
      entrypoint:
        description: The shell command the driver runs, for example C(python train.py).
        type: str
        required: true
      submission_id:
        description:
          - The job's id, and the idempotency key. Without it Ray makes one up and every run submits a new job.
          - Each id may appear once in O(jobs).
        type: str
      working_dir:
        description: A directory on the host that runs the module, uploaded by Ray's SDK; the driver starts in it.
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
    description: Wait until every job has ended.
    type: bool
    default: true
  timeout:
    description:
      - Seconds this task may take in all, reaching the dashboard, submitting and waiting for every job included.
    type: float
    default: 600
  stop_on_timeout:
    description: Stop the jobs still running when O(wait) runs past O(timeout).
    type: bool
    default: true
  log_tail_lines:
    description: How many of each driver's last log lines to return in RV(jobs[].logs).
    type: int
    default: 100
extends_documentation_fragment:
  - raybook.ray.ray_connection
attributes:
  check_mode:
    support: full
    description: Reports which jobs would be submitted and submits nothing.
seealso:
  - module: raybook.ray.ray_job
  - module: raybook.ray.ray_job_info
"""

EXAMPLES = r"""
- name: Three sweeps of one script
  raybook.ray.ray_job_batch:
    jobs:
      - submission_id: sweep-lr-0.01
        entrypoint: python train.py --lr 0.01
        working_dir: /srv/train
      - submission_id: sweep-lr-0.001
        entrypoint: python train.py --lr 0.001
        working_dir: /srv/train
      - submission_id: sweep-lr-0.0001
        entrypoint: python train.py --lr 0.0001
        working_dir: /srv/train
    timeout: 1800
  register: sweep

- name: Show each sweep's result
  ansible.builtin.debug:
    msg: "{{ sweep.jobs | map(attribute='result') | list }}"
"""

RETURN = r"""
jobs:
  description:
    - Each job's result, in the order of O(jobs), with the fields M(raybook.ray.ray_job) returns.
  returned: always
  type: list
  elements: dict
  contains:
    changed:
      description: Whether this task submitted the job.
      type: bool
    submission_id:
      description: The job's id.
      type: str
      sample: sweep-lr-0.01
    status:
      description: The job's status; null in check mode for a job not yet submitted.
      type: str
      sample: SUCCEEDED
    message:
      description: Ray's message about the job.
      type: str
    driver_exit_code:
      description: Exit code of the driver process.
      type: int
    duration_s:
      description: Seconds between start and end.
      type: float
    logs:
      description: The last O(log_tail_lines) lines of the driver's log, once the job has ended.
      type: str
    result:
      description: The JSON document the driver printed after C(RAYBOOK_RESULT); null when it printed none.
      type: raw
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.raybook.ray.plugins.module_utils.ray_dashboard import (
    DashboardError,
    TaskFailed,
    connect,
    connection_argument_spec,
    fill_from_ray_environment,
)
from ansible_collections.raybook.ray.plugins.module_utils.ray_job_task import JobBatch, check_batch, job_argument_spec


def argument_spec():
    job = job_argument_spec()
    job["entrypoint"]["required"] = True
    spec = connection_argument_spec(timeout_default=600)
    spec.update(
        jobs=dict(type="list", elements="dict", required=True, options=job),
        wait=dict(type="bool", default=True),
        stop_on_timeout=dict(type="bool", default=True),
        log_tail_lines=dict(type="int", default=100),
    )
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    fill_from_ray_environment(module.params)
    error = check_batch(module.params)
    if error:
        module.fail_json(msg=error)
    dashboard = connect(module)
    try:
        result = JobBatch(module.params, dashboard, module.check_mode, module.warn).run()
    except TaskFailed as exc:
        module.fail_json(msg=str(exc), **exc.result)
    except DashboardError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
