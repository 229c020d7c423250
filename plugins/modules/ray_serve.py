#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ray_serve
short_description: Deploy or remove a Ray Serve application declaratively
version_added: "0.1.0"
description:
  - Declares one Serve application through the dashboard's Serve REST API (C(/api/serve/applications/)),
    keeping the cluster's other applications as they are, and waits until it is C(RUNNING).
  - O(working_dir) is a folder on the host that runs the module. Ray's SDK zips and uploads it to the cluster
    under a content-hashed URI, so no node needs a copy of it beforehand.
  - The same config (the same folder content included) deployed again is C(changed=false).
  - An application that fails to deploy fails the task with Serve's message.
  - A deploy that Serve has not listed after a third of O(timeout) (an overloaded controller can drop one) is sent
    again, once, within the same deadline, with a warning.
  - >-
    An application not C(RUNNING) at the deadline fails the task saying why, as far as Ray tells: the deploy's
    error, the deployments that are not healthy, the Serve controller's state and the replicas pending with the
    resources they wait for.
  - An unreachable dashboard is retried with backoff until O(timeout), then the task fails naming the address.
author:
  - raybook developers (@raybook)
requirements:
  - ray (the same version as the cluster) on the host that runs the module, to upload O(working_dir)
options:
  name:
    description: The application's name.
    type: str
    required: true
  import_path:
    description:
      - The application to build, as C(module:attribute) (a bound deployment or an application builder).
      - Required with O(state=present).
    type: str
  route_prefix:
    description: The HTTP path the application answers under.
    type: str
  working_dir:
    description:
      - A folder on this host with the application's code, uploaded by Ray's SDK.
      - Same as the C(working_dir) key of O(runtime_env); give one or the other.
    type: path
  runtime_env:
    description: The application's Ray runtime environment (C(env_vars), C(pip), ...).
    type: dict
  args:
    description: Arguments handed to an application builder.
    type: dict
  deployments:
    description: Per-deployment overrides (C(name), C(num_replicas), C(ray_actor_options), ...).
    type: list
    elements: dict
  http_host:
    description:
      - The address Serve's HTTP proxies listen on, on each node. Loopback by default, where the dashboard listens
        too. Serve has no authentication, so anyone who reaches this address can call every application.
      - V(0.0.0.0) or a node's IP exposes the applications on purpose (with the host firewall's peers only, or
        your own front); see the project's docs/security.md.
      - Serve takes its HTTP options when it starts; when it already runs with others, a warning says so and they
        stay until Serve is shut down (O(state=absent) of its last application).
    type: str
    default: 127.0.0.1
  http_port:
    description: The port Serve's HTTP proxies listen on.
    type: int
    default: 8000
  proxy_location:
    description:
      - Where Serve runs HTTP proxies. V(HeadOnly) when O(http_host) is one node's address (the head's), as the
        other nodes cannot listen on it. Applies, like O(http_host), when Serve starts.
    type: str
    choices: [EveryNode, HeadOnly, Disabled]
    default: EveryNode
  state:
    description: V(present) deploys the application; V(absent) removes it (and shuts Serve down when it was the last).
    type: str
    choices: [present, absent]
    default: present
  wait:
    description: Wait until the application is C(RUNNING) (or gone, for O(state=absent)).
    type: bool
    default: true
  timeout:
    description: Seconds this task may take in all, reaching the dashboard and waiting included.
    type: float
    default: 300
extends_documentation_fragment:
  - raybook.ray.ray_connection
attributes:
  check_mode:
    support: full
    description: Reports whether the application would change, and deploys or removes nothing.
seealso:
  - module: raybook.ray.ray_job
"""

EXAMPLES = r"""
- name: Deploy the classifier from a local folder and wait until it runs
  raybook.ray.ray_serve:
    name: classifier
    import_path: serve_app:app
    route_prefix: /classify
    working_dir: /srv/raybook/workloads/serve
    runtime_env:
      env_vars:
        RAYBOOK_STORAGE_PATH: /tmp/raybook-storage

- name: Remove it
  raybook.ray.ray_serve:
    name: classifier
    state: absent
"""

RETURN = r"""
name:
  description: The application's name.
  returned: always
  type: str
status:
  description: The application's status (V(RUNNING), V(DEPLOYING), V(DEPLOY_FAILED), ...); null when absent.
  returned: always
  type: str
  sample: RUNNING
message:
  description: Serve's message about the application.
  returned: always
  type: str
route_prefix:
  description: The HTTP path it answers under.
  returned: when present
  type: str
  sample: /classify
deployments:
  description: Each deployment's status.
  returned: when present
  type: dict
  sample: {"SpiralClassifier": "HEALTHY"}
config:
  description: The application config that was declared (O(working_dir) as its uploaded URI).
  returned: when present
  type: dict
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.raybook.ray.plugins.module_utils.ray_dashboard import (
    DashboardError,
    TaskFailed,
    connect,
    check_connection_options,
    check_working_dir,
    connection_argument_spec,
    fill_from_ray_environment,
)
from ansible_collections.raybook.ray.plugins.module_utils.ray_serve_task import ServeTask

IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*[:.][A-Za-z_]\w*$")


def argument_spec():
    spec = connection_argument_spec(timeout_default=300)
    spec.update(
        name=dict(type="str", required=True),
        import_path=dict(type="str"),
        route_prefix=dict(type="str"),
        working_dir=dict(type="path"),
        runtime_env=dict(type="dict"),
        args=dict(type="dict"),
        deployments=dict(type="list", elements="dict"),
        http_host=dict(type="str", default="127.0.0.1"),
        http_port=dict(type="int", default=8000),
        proxy_location=dict(type="str", default="EveryNode", choices=["EveryNode", "HeadOnly", "Disabled"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait=dict(type="bool", default=True),
    )
    return spec


def check_serve_options(params):
    """Return a one-line error for inputs that cannot work, before anything reaches the cluster."""
    error = check_connection_options(params)
    if error:
        return error
    if not params["name"].strip():
        return "name: expected a non-empty application name"
    if params["state"] == "absent":
        return None
    if not IMPORT_PATH.match(params["import_path"] or ""):
        return "import_path: expected 'module:attribute' (for example 'serve_app:app'), got %r" % params["import_path"]
    if params["route_prefix"] is not None and not params["route_prefix"].startswith("/"):
        return "route_prefix: expected a path starting with '/', got %r" % params["route_prefix"]
    error = check_working_dir(params)
    if error:
        return error
    for index, deployment in enumerate(params["deployments"] or []):
        if not deployment.get("name"):
            return "deployments[%d].name: expected the deployment's name" % index
    return None


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_if=[("state", "present", ("import_path",))],
    )
    fill_from_ray_environment(module.params)
    error = check_serve_options(module.params)
    if error:
        module.fail_json(msg=error)
    dashboard = connect(module)
    try:
        result = ServeTask(module.params, dashboard, module.check_mode, module.warn).run()
    except TaskFailed as exc:
        module.fail_json(msg=str(exc), **exc.result)
    except DashboardError as exc:
        module.fail_json(msg=str(exc), name=module.params["name"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
