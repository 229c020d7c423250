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
  - An unreachable dashboard is retried with backoff until O(timeout), then the task fails naming the address.
author:
  - raybook developers
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
      - Same as O(runtime_env.working_dir); give one or the other.
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
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.raybook.ray.plugins.module_utils.ray_client import (
    RayClientError,
    connect,
    check_connection_options,
    check_working_dir,
    connection_argument_spec,
    fill_from_ray_environment,
)
from ansible_collections.raybook.ray.plugins.module_utils.ray_sdk import sdk_client, within_deadline

SETTLED = frozenset(("RUNNING", "DEPLOY_FAILED", "UNHEALTHY"))
FAILED = frozenset(("DEPLOY_FAILED", "UNHEALTHY"))
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


def upload_local_code(dashboard, runtime_env, validate_certs, check_mode):
    """Replace local working_dir/py_modules paths by the URIs Ray's SDK uploads them to (content-hashed). In check
    mode the SDK computes the same URIs and asks whether the cluster has them, but sends nothing."""
    action = "uploading the application's code to"
    with sdk_client(dashboard, validate_certs, action) as client:
        if check_mode:
            client._upload_package = lambda *args, **kwargs: None

        def upload():
            client._upload_working_dir_if_needed(runtime_env)
            client._upload_py_modules_if_needed(runtime_env)

        within_deadline(dashboard, action, upload)
    return runtime_env


def desired_config(params, runtime_env):
    config = dict(name=params["name"], import_path=params["import_path"])
    for key in ("route_prefix", "args", "deployments"):
        if params[key] is not None:
            config[key] = params[key]
    if runtime_env:
        config["runtime_env"] = runtime_env
    return config


def app_report(name, app):
    if not app:
        return dict(name=name, status=None, message="")
    return dict(
        name=name,
        status=app.get("status"),
        message=app.get("message") or "",
        route_prefix=app.get("route_prefix"),
        deployments={key: value.get("status") for key, value in sorted((app.get("deployments") or {}).items())},
        config=app.get("deployed_app_config") or {},
    )


def failure_message(name, app):
    """Serve's own words for a failed application: its message, else its unhealthy deployments'."""
    message = (app.get("message") or "").strip()
    if not message:
        message = "; ".join(
            "%s: %s" % (key, (value.get("message") or value.get("status")))
            for key, value in sorted((app.get("deployments") or {}).items())
            if value.get("status") != "HEALTHY"
        )
    lines = message.splitlines()
    return "Serve application %s %s: %s" % (name, app.get("status"), lines[-1] if lines else "no message")


class ServeTask:
    def __init__(self, module, dashboard):
        self.module = module
        self.params = module.params
        self.dashboard = dashboard
        self.name = self.params["name"]
        self.details = {}  # the last answer of the Serve API: applications, http_options, ...

    def applications(self):
        self.details = self.dashboard.serve_details() or {}
        return self.details.get("applications") or {}

    def others(self, apps):
        """The other applications' declared configs, so one PUT keeps them as they are."""
        return [app["deployed_app_config"] for key, app in sorted(apps.items()) if key != self.name and app.get("deployed_app_config")]

    def present(self):
        runtime_env = dict(self.params["runtime_env"] or {})
        if self.params["working_dir"]:
            runtime_env["working_dir"] = self.params["working_dir"]
        if runtime_env:
            runtime_env = upload_local_code(self.dashboard, runtime_env, self.params["validate_certs"], self.module.check_mode)
        config = desired_config(self.params, runtime_env)
        apps = self.applications()
        current = apps.get(self.name)
        changed = not current or current.get("deployed_app_config") != config
        self.warn_if_listening_elsewhere()
        if changed and not self.module.check_mode:
            document = {
                "http_options": self.http_options(), "proxy_location": self.params["proxy_location"],
                "applications": self.others(apps) + [config],
            }
            self.dashboard.serve_put(document)
        if self.module.check_mode:
            return dict(changed=changed, **app_report(self.name, current))
        app = self.wait_until_settled() if self.params["wait"] else self.applications().get(self.name)
        result = dict(changed=changed, **app_report(self.name, app))
        if app and app.get("status") in FAILED:
            self.module.fail_json(msg=failure_message(self.name, app), **result)
        return result

    def http_options(self):
        return {"host": self.params["http_host"], "port": self.params["http_port"]}

    def warn_if_listening_elsewhere(self):
        running = self.details.get("http_options") or {}
        wanted = self.http_options()
        if running and self.details.get("applications") and any(running.get(k) != v for k, v in wanted.items()):
            self.module.warn(
                "Serve already listens on %s:%s, not %s:%s: HTTP options apply when Serve starts "
                "(remove its applications to restart it)" % (running.get("host"), running.get("port"), wanted["host"], wanted["port"])
            )

    def absent(self):
        apps = self.applications()
        if self.name not in apps:
            return dict(changed=False, name=self.name, status=None, message="")
        if not self.module.check_mode:
            others = self.others(apps)
            if others:
                self.dashboard.serve_put({"applications": others})
            else:
                self.dashboard.serve_shutdown()
            if self.params["wait"]:
                self.wait_until_gone()
        return dict(changed=True, name=self.name, status=None, message="removed")

    def wait_until_settled(self):
        while True:
            app = self.applications().get(self.name)
            if app and app.get("status") in SETTLED:
                return app
            if self.dashboard.remaining() <= 0:
                status = app.get("status") if app else "not listed"
                raise RayClientError("Serve application %s not RUNNING within %.0fs (status %s)" % (self.name, self.params["timeout"], status))
            time.sleep(min(1.0, self.dashboard.remaining()))

    def wait_until_gone(self):
        while self.name in self.applications():
            if self.dashboard.remaining() <= 0:
                raise RayClientError("Serve application %s still listed after %.0fs" % (self.name, self.params["timeout"]))
            time.sleep(min(1.0, self.dashboard.remaining()))


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
    task = ServeTask(module, dashboard)
    try:
        dashboard.version()  # reachability first: retried with backoff until the timeout
        result = task.present() if module.params["state"] == "present" else task.absent()
    except RayClientError as exc:
        module.fail_json(msg=str(exc), name=module.params["name"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
