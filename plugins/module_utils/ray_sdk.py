# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""Ray's own SDK, for what the dashboard's REST API cannot do alone: uploading local code to the cluster.

Ray is imported only when the SDK is needed (importing it takes about a second); the version check reads the
installed package's metadata instead."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version as installed_version

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.raybook.ray.plugins.module_utils.ray_dashboard import DashboardError, version_mismatch


def check_client_version(dashboard):
    """Fail when this host's Ray differs from the cluster's (when Ray is installed here at all)."""
    try:
        client_version = installed_version("ray")
    except PackageNotFoundError:
        return
    mismatch = version_mismatch(client_version, dashboard.version()["ray_version"])
    if mismatch:
        raise DashboardError(mismatch)


@contextmanager
def sdk_client(dashboard, validate_certs, action):
    """A JobSubmissionClient for the dashboard, once this host's Ray is known to match the cluster's.

    The SDK raises bare RuntimeError/ValueError for rejected requests: they become one-line DashboardErrors
    that say what was being done (`action`) and where.
    """
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError:
        raise DashboardError(missing_required_lib("ray")) from None
    check_client_version(dashboard)
    try:
        yield JobSubmissionClient(dashboard.address, headers=dashboard.headers, verify=validate_certs)
    except DashboardError:
        raise
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DashboardError("%s %s failed: %s" % (action, dashboard.address, first_line)) from None


def within_deadline(dashboard, action, work):
    """Run `work()` (an SDK call, whose requests carry no timeout of their own) under the dashboard's deadline:
    its result, or a one-line DashboardError when the time is up. A call still hanging then is abandoned with the
    module's process."""
    outcome = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: B036 (handed to the caller's thread)
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(dashboard.remaining())
    if worker.is_alive():
        raise DashboardError("%s %s did not finish within %.0fs (timeout)" % (action, dashboard.address, dashboard.timeout))
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
