# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""The ray_serve module's state machine: one Serve application declared or removed through the dashboard's Serve
API, with local code uploaded first.

It knows nothing of AnsibleModule: the module hands it its params, check mode and a warning callback, and turns
a TaskFailed into fail_json, so the machine can be tested against an in-process fake dashboard."""

from __future__ import annotations

import time

from ansible_collections.raybook.ray.plugins.module_utils.ray_dashboard import DashboardError, TaskFailed, merged_runtime_env
from ansible_collections.raybook.ray.plugins.module_utils.ray_sdk import sdk_client, within_deadline

SETTLED = frozenset(("RUNNING", "DEPLOY_FAILED", "UNHEALTHY"))
FAILED = frozenset(("DEPLOY_FAILED", "UNHEALTHY"))
# A deploy Serve has not listed after this share of the timeout was dropped (seen under CPU load): it is sent again,
# once, within the same deadline.
RESEND_AFTER = 1 / 3


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


def resources_text(resources):
    """{'CPU': 0.25, 'GPU': 1.0} as 'CPU 0.25, GPU 1' (what a pending actor waits for)."""
    return ", ".join("%s %g" % (name, amount) for name, amount in sorted((resources or {}).items())) or "nothing"


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
    """One call of ray_serve: declare the application (keeping the others as they are) or remove it."""

    def __init__(self, params, dashboard, check_mode=False, warn=lambda message: None):
        self.params = params
        self.dashboard = dashboard
        self.check_mode = check_mode
        self.warn = warn
        self.name = params["name"]
        self.details = {}  # the last answer of the Serve API: applications, http_options, ...

    def run(self):
        self.dashboard.version()  # reachability first: retried with backoff until the timeout
        return self.present() if self.params["state"] == "present" else self.absent()

    def applications(self):
        self.details = self.dashboard.serve_details() or {}
        return self.details.get("applications") or {}

    def others(self, apps):
        """The other applications' declared configs, so one PUT keeps them as they are."""
        return [app["deployed_app_config"] for key, app in sorted(apps.items()) if key != self.name and app.get("deployed_app_config")]

    def present(self):
        runtime_env = merged_runtime_env(self.params)
        if runtime_env:
            runtime_env = upload_local_code(self.dashboard, runtime_env, self.params["validate_certs"], self.check_mode)
        config = desired_config(self.params, runtime_env)
        apps = self.applications()
        current = apps.get(self.name)
        changed = not current or current.get("deployed_app_config") != config
        self.warn_if_listening_elsewhere()
        document = None
        if changed and not self.check_mode:
            document = {
                "http_options": self.http_options(), "proxy_location": self.params["proxy_location"],
                "applications": self.others(apps) + [config],
            }
            self.dashboard.serve_put(document)
        if self.check_mode:
            return dict(changed=changed, **app_report(self.name, current))
        app = self.wait_until_settled(document) if self.params["wait"] else self.applications().get(self.name)
        result = dict(changed=changed, **app_report(self.name, app))
        if app and app.get("status") in FAILED:
            raise TaskFailed(failure_message(self.name, app), result)
        return result

    def http_options(self):
        return {"host": self.params["http_host"], "port": self.params["http_port"]}

    def warn_if_listening_elsewhere(self):
        running = self.details.get("http_options") or {}
        wanted = self.http_options()
        if running and self.details.get("applications") and any(running.get(k) != v for k, v in wanted.items()):
            self.warn(
                "Serve already listens on %s:%s, not %s:%s: HTTP options apply when Serve starts "
                "(remove its applications to restart it)" % (running.get("host"), running.get("port"), wanted["host"], wanted["port"])
            )

    def absent(self):
        apps = self.applications()
        if self.name not in apps:
            return dict(changed=False, name=self.name, status=None, message="")
        if not self.check_mode:
            others = self.others(apps)
            if others:
                self.dashboard.serve_put({"applications": others})
            else:
                self.dashboard.serve_shutdown()
            if self.params["wait"]:
                self.wait_until_gone()
        return dict(changed=True, name=self.name, status=None, message="removed")

    def wait_until_settled(self, document=None):
        """The application once Serve has settled it; a deploy (`document`) still not listed after RESEND_AFTER of
        the timeout is sent again, once; at the deadline, the task fails saying why, as far as Ray tells."""
        resend_at = self.dashboard.remaining() * (1 - RESEND_AFTER)
        resent = False
        while True:
            app = self.applications().get(self.name)
            if app and app.get("status") in SETTLED:
                return app
            if app is None and document and not resent and self.dashboard.remaining() <= resend_at:
                self.warn("Serve had not listed application %s after %.0fs: its deploy was sent again"
                          % (self.name, self.params["timeout"] * RESEND_AFTER))
                self.dashboard.serve_put(document)
                resent = True
            if self.dashboard.remaining() <= 0:
                status = app.get("status") if app else "not listed" + (" (its deploy sent twice)" if resent else "")
                raise DashboardError("Serve application %s not RUNNING within %.0fs (status %s): %s" % (
                    self.name, self.params["timeout"], status, self.diagnosis(app)))
            time.sleep(min(1.0, self.dashboard.remaining()))

    def diagnosis(self, app):
        """Why the application is not RUNNING, in Ray's words: its deploy's error and its unhealthy deployments, the
        Serve controller's state, and the replicas waiting for resources."""
        reasons = []
        if app:
            message = (app.get("message") or "").strip().splitlines()
            if message:
                reasons.append("deploy: %s" % message[-1])
            for name, deployment in sorted((app.get("deployments") or {}).items()):
                if deployment.get("status") != "HEALTHY":
                    said = (deployment.get("message") or "").strip().splitlines()
                    reasons.append("%s %s%s" % (name, deployment.get("status"), ": %s" % said[-1] if said else ""))
        try:
            controllers = self.dashboard.actors(class_name="ServeController")
            pending = self.dashboard.actors(state="PENDING_CREATION")
        except DashboardError as error:  # the state API is an extra: its failure must not hide the timeout
            return "; ".join(reasons + ["Ray's state API did not answer (%s)" % error])
        alive = [actor for actor in controllers if actor.get("state") == "ALIVE"]
        reasons.append("Serve controller %s" % ("ALIVE" if alive else ", ".join(
            sorted({actor.get("state", "?") for actor in controllers})) or "not running"))
        replicas = [actor for actor in pending if str(actor.get("class_name", "")).startswith("ServeReplica:%s:" % self.name)]
        if replicas:
            wanted = sorted({resources_text(actor.get("required_resources")) for actor in replicas})
            reasons.append("%d replica(s) pending, each waiting for %s" % (len(replicas), " or ".join(wanted)))
        return "; ".join(reasons)

    def wait_until_gone(self):
        while self.name in self.applications():
            if self.dashboard.remaining() <= 0:
                raise DashboardError("Serve application %s still listed after %.0fs" % (self.name, self.params["timeout"]))
            time.sleep(min(1.0, self.dashboard.remaining()))
