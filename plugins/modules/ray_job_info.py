#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ray_job_info
short_description: Read one Ray job or all of them
version_added: "0.1.0"
description:
  - Lists the jobs a Ray cluster knows, or one job by O(submission_id), through the dashboard's Jobs API.
  - An unreachable dashboard is retried with backoff until O(timeout), then the task fails naming the address.
  - Needs no Ray package on the host that runs it.
author:
  - raybook developers (@raybook)
options:
  submission_id:
    description: Only this job. RV(jobs) is empty when the cluster has no job with this id.
    type: str
  logs:
    description: Add each job's log tail (and the driver's C(RAYBOOK_RESULT) document) to its entry.
    type: bool
    default: false
  log_tail_lines:
    description: How many of the driver's last log lines to return with O(logs).
    type: int
    default: 100
  timeout:
    description: Seconds to keep trying an unreachable dashboard.
    type: float
    default: 30
extends_documentation_fragment:
  - raybook.ray.ray_connection
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
seealso:
  - module: raybook.ray.ray_job
"""

EXAMPLES = r"""
- name: List every job on the cluster
  raybook.ray.ray_job_info:
    address: http://127.0.0.1:8265
  register: all_jobs

- name: Read the smoke job with its log tail
  raybook.ray.ray_job_info:
    submission_id: raybook-site-smoke
    logs: true
  register: smoke
"""

RETURN = r"""
jobs:
  description: The jobs, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    submission_id:
      description: The job's id.
      type: str
    status:
      description: V(PENDING), V(RUNNING), V(SUCCEEDED), V(FAILED) or V(STOPPED).
      type: str
    message:
      description: Ray's message about the job.
      type: str
    entrypoint:
      description: The job's entrypoint.
      type: str
    metadata:
      description: The job's metadata.
      type: dict
    driver_exit_code:
      description: Exit code of the driver process.
      type: int
    start_time:
      description: When the job started (ISO-8601, UTC).
      type: str
    end_time:
      description: When the job ended (ISO-8601, UTC).
      type: str
    duration_s:
      description: Seconds between start and end.
      type: float
    logs:
      description: The driver's log tail (with O(logs)).
      type: str
    result:
      description: The driver's C(RAYBOOK_RESULT) document (with O(logs)).
      type: raw
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.raybook.ray.plugins.module_utils.ray_dashboard import (
    DashboardError,
    connect,
    check_connection_options,
    connection_argument_spec,
    fill_from_ray_environment,
    extract_result,
    job_summary,
    log_tail,
)


def main():
    spec = connection_argument_spec(timeout_default=30)
    spec.update(
        submission_id=dict(type="str"),
        logs=dict(type="bool", default=False),
        log_tail_lines=dict(type="int", default=100),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    fill_from_ray_environment(params)
    error = check_connection_options(params)
    if not error and params["log_tail_lines"] < 0:
        error = "log_tail_lines: expected a number >= 0, got %s" % params["log_tail_lines"]
    if error:
        module.fail_json(msg=error)
    dashboard = connect(module)
    try:
        if params["submission_id"]:
            found = dashboard.job(params["submission_id"])
            details = [found] if found else []
        else:
            details = sorted(dashboard.jobs(), key=lambda job: job.get("start_time") or 0)
        jobs = []
        for job in details:
            entry = job_summary(job)
            if params["logs"] and entry["submission_id"]:
                logs = dashboard.job_logs(entry["submission_id"])
                entry["logs"] = log_tail(logs, params["log_tail_lines"])
                entry["result"] = extract_result(logs)
            jobs.append(entry)
    except DashboardError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, jobs=jobs)


if __name__ == "__main__":
    main()
