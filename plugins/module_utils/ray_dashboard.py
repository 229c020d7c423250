# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""Ray's dashboard HTTP API (not Ray Client) for the raybook modules: shared options and input checks.

Reads (version, nodes, jobs, logs) go over the dashboard's REST API, so only `ray_job` needs the Ray
package (its SDK uploads a local ``working_dir`` when submitting).
"""

from __future__ import annotations

import datetime
import json
import math
import re
import os
import ssl
import time
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlparse
from urllib.request import HTTPSHandler, Request, build_opener

DEFAULT_ADDRESS = "http://127.0.0.1:8265"
# A driver prints this marker followed by one JSON document: that document becomes the task's `result`.
RESULT_MARKER = "RAYBOOK_RESULT "
TERMINAL_STATUSES = frozenset(("SUCCEEDED", "FAILED", "STOPPED"))
# Backoff between attempts to reach an unreachable dashboard: doubles from the first to the last.
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 5.0
REQUEST_TIMEOUT_S = 10.0
# Jobs are polled every POLL_FAST_S for their first POLL_FAST_FOR_S (a trivial job ends in about 1.5 s), then
# every second.
POLL_FAST_S = 0.2
POLL_FAST_FOR_S = 10.0
RETRIED_HTTP_CODES = frozenset((502, 503, 504))
# How long a job that was told to stop (past its timeout) gets to reach STOPPED.
STOP_GRACE_S = 30.0


def connection_argument_spec(timeout_default):
    """Options every Ray module takes to reach a cluster (fill_from_ray_environment completes them)."""
    return dict(
        address=dict(type="str"),
        timeout=dict(type="float", default=timeout_default),
        validate_certs=dict(type="bool", default=True),
        auth_token=dict(type="str", no_log=True),
        auth_token_file=dict(type="path"),
    )


def fill_from_ray_environment(params, environ=None, home=None):
    """Complete the connection options that the task left out the way Ray's CLI does: the address from
    RAY_API_SERVER_ADDRESS, then RAY_ADDRESS when it is an http(s) URL (a ray:// or GCS address is not the
    dashboard), then the local default; the token from RAY_AUTH_TOKEN, then the file RAY_AUTH_TOKEN_PATH names,
    then ~/.ray/auth_token when it exists. Options the task gives always win."""
    environ = os.environ if environ is None else environ
    if not params.get("address"):
        ray_address = environ.get("RAY_ADDRESS", "")
        params["address"] = (environ.get("RAY_API_SERVER_ADDRESS")
                             or (ray_address if ray_address.startswith(("http://", "https://")) else "")
                             or DEFAULT_ADDRESS)
    if not params.get("auth_token") and not params.get("auth_token_file"):
        default_file = os.path.join(home or os.path.expanduser("~"), ".ray", "auth_token")
        if environ.get("RAY_AUTH_TOKEN"):
            params["auth_token"] = environ["RAY_AUTH_TOKEN"]
        elif environ.get("RAY_AUTH_TOKEN_PATH"):
            params["auth_token_file"] = environ["RAY_AUTH_TOKEN_PATH"]
        elif os.path.isfile(default_file):
            params["auth_token_file"] = default_file


def auth_headers(params):
    """The Authorization header for a cluster with token authentication: from auth_token, else auth_token_file."""
    token = params.get("auth_token")
    path = params.get("auth_token_file")
    if not token and path:
        try:
            with open(path, encoding="utf-8") as handle:
                token = handle.read().strip()
        except OSError as exc:
            raise DashboardError("auth_token_file: cannot read %s (%s)" % (path, exc.strerror or exc)) from None
        if not token:
            raise DashboardError("auth_token_file: %s is empty (expected the cluster's token)" % path)
    return {"Authorization": "Bearer %s" % token} if token else {}


class DashboardError(Exception):
    """A failure the module reports as one line."""


class TaskFailed(DashboardError):
    """A module task that must fail with this message and still return what it found (`result`)."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


class RayUnreachable(DashboardError):
    pass


def check_connection_options(params):
    """Return a one-line error for a bad address or timeout, or None."""
    address = params["address"]
    parsed = urlparse(address or "")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return "address: expected an http(s) URL such as %s, got %r" % (DEFAULT_ADDRESS, address)
    try:
        parsed.port
    except ValueError:
        return "address: the port in %r is not a number between 0 and 65535" % address
    timeout = params["timeout"]
    if not math.isfinite(timeout) or timeout < 0:
        return "timeout: expected a finite number of seconds >= 0, got %s" % timeout
    return None


def check_working_dir(params):
    """Return a one-line error when a module's working_dir cannot be uploaded, or None."""
    runtime_env = params["runtime_env"] or {}
    if params["working_dir"] and "working_dir" in runtime_env:
        return "working_dir: given twice (the option and runtime_env.working_dir); keep one"
    working_dir = params["working_dir"] or runtime_env.get("working_dir")
    if working_dir and "://" not in working_dir and not os.path.isdir(working_dir):
        return "working_dir: no such directory on this host: %s" % working_dir
    return None


def poll_delays(fast_s=POLL_FAST_S, fast_for_s=POLL_FAST_FOR_S, slow_s=1.0):
    """Yield the waits between a job's status polls: fast_s for the first fast_for_s, then slow_s forever. A poll
    is one small request; a job that ends between two polls is seen up to one wait late."""
    for _unused in range(int(fast_for_s / fast_s)):
        yield min(fast_s, slow_s)
    while True:
        yield slow_s


def backoff_delays(first=BACKOFF_FIRST_S, cap=BACKOFF_MAX_S):
    """Yield the waits between retries: first, 2*first, ... up to cap, then cap forever."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


def tls_context(validate_certs):
    """A client TLS context: the system's CA bundle and the host name checked, or nothing checked (and no CA
    bundle loaded)."""
    if validate_certs:
        return ssl.create_default_context()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def connect(module):
    """The dashboard the module's connection options name, with the token's header; fails the module on a bad token file."""
    params = module.params
    try:
        headers = auth_headers(params)
    except DashboardError as exc:
        module.fail_json(msg=str(exc))
    return RayDashboard(params["address"], params["timeout"], params["validate_certs"], headers=headers)


class RayDashboard:
    """The Ray dashboard's HTTP API (jobs, nodes, version), with retries while it cannot be reached."""

    def __init__(self, address, timeout, validate_certs=True, headers=None, clock=time.monotonic, sleep=time.sleep):
        self.address = address.rstrip("/")
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.headers = dict(headers or {})
        self._clock = clock
        self._sleep = sleep
        self.deadline = clock() + timeout
        self._version = None
        # The standard library's client (the proxy variables honoured, redirects followed), not ansible's urls: that
        # costs about 60 ms of imports in every module call, a fifth of a short job's overhead. One TLS context
        # serves all of the module's requests, a redirect to https included. Loading the CA bundle costs about 30 ms,
        # so a plain http address that checks certificates leaves it to urllib's own handler, which loads it only if
        # a redirect leads to https.
        if self.address.startswith("https://") or not validate_certs:
            self._opener = build_opener(HTTPSHandler(context=tls_context(validate_certs)))
        else:
            self._opener = build_opener()

    def remaining(self):
        return max(0.0, self.deadline - self._clock())

    def _request(self, method, path, body=None):
        data = None
        headers = dict(self.headers)
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = Request(self.address + path, data=data, headers=headers, method=method)
        # A request that hangs ends with the deadline (and never waits less than a moment).
        with self._opener.open(request, timeout=max(0.5, min(REQUEST_TIMEOUT_S, self.remaining()))) as response:
            text = response.read().decode("utf-8", "replace")
        try:
            return json.loads(text) if text else None
        except ValueError:
            return text

    def request(self, method, path, body=None):
        """Send one request, retrying connection failures with backoff until the deadline."""
        delays = backoff_delays()
        while True:
            try:
                result = self._request(method, path, body)
            except HTTPError as exc:
                # A dashboard behind a proxy or still starting answers 502-504: as good as unreachable.
                if exc.code not in RETRIED_HTTP_CODES:
                    raise
                cause = "HTTP %s" % exc.code
            except (URLError, OSError) as exc:
                cause = getattr(exc, "reason", None) or exc
            else:
                return result
            delay = next(delays)
            if self.remaining() <= delay:
                raise RayUnreachable(
                    "Ray dashboard at %s unreachable after %.0fs: %s" % (self.address, self.timeout, cause)
                ) from None
            self._sleep(delay)

    def get(self, path):
        return self._send("GET", path)

    def version(self):
        """Return {'ray_version': ..., 'ray_commit': ...}; this is also the reachability probe. Asked once per
        module run: a batch's version checks reuse the answer."""
        if self._version is None:
            data = self.get("/api/version")
            if not isinstance(data, dict) or "ray_version" not in data:
                raise DashboardError("%s does not look like a Ray dashboard (no ray_version in /api/version)" % self.address)
            self._version = data
        return self._version

    def nodes(self):
        path = "/api/v0/nodes?limit=10000&detail=true"
        return _unwrap_state_api(self.get(path), self.address, path)

    def resource_usage(self):
        """Return {resource: [used, total]} from the autoscaler's load report (may be empty early on)."""
        data = self.get("/api/cluster_status?format=0")
        try:
            return data["data"]["clusterStatus"]["loadMetricsReport"]["usage"] or {}
        except (KeyError, TypeError):
            return {}

    def job(self, submission_id):
        """Return the job's details, or None when no job has this id."""
        try:
            return self.request("GET", "/api/jobs/" + quote(submission_id, safe=""))
        except HTTPError as exc:
            if exc.code == 404:
                return None
            raise DashboardError(_http_error_line(self.address, exc)) from None

    def jobs(self):
        return self.get("/api/jobs/") or []

    def jobs_by_id(self, submission_ids=None):
        """Jobs by submission id, in one request: every job on the cluster, or those asked for (one that is not
        there is named)."""
        known = {job.get("submission_id"): job for job in self.jobs() if isinstance(job, dict)}
        if submission_ids is None:
            return known
        for submission_id in submission_ids:
            if submission_id not in known:
                raise self._gone(submission_id)
        return {submission_id: known[submission_id] for submission_id in submission_ids}

    def job_logs(self, submission_id):
        data = self.get("/api/jobs/%s/logs" % quote(submission_id, safe=""))
        return (data or {}).get("logs", "") if isinstance(data, dict) else ""

    def stop_job(self, submission_id):
        return bool((self._send("POST", "/api/jobs/%s/stop" % quote(submission_id, safe="")) or {}).get("stopped"))

    def delete_job(self, submission_id):
        return bool((self._send("DELETE", "/api/jobs/%s" % quote(submission_id, safe="")) or {}).get("deleted"))

    def actors(self, **equal_to):
        """The state API's actors (with detail) whose fields equal the given values, e.g. state="PENDING_CREATION"."""
        query = "".join("&filter_keys=%s&filter_predicates=%%3D&filter_values=%s" % (quote(key), quote(str(value)))
                        for key, value in sorted(equal_to.items()))
        path = "/api/v0/actors?limit=10000&detail=true" + query
        return _unwrap_state_api(self.get(path), self.address, path)

    def serve_details(self):
        """Serve's instance details: http options and every application with its status and config."""
        return self.get("/api/serve/applications/") or {}

    def serve_put(self, document):
        """Declare Serve's whole set of applications (those left out are removed)."""
        self._send("PUT", "/api/serve/applications/", document)

    def serve_shutdown(self):
        self._send("DELETE", "/api/serve/applications/")

    def _send(self, method, path, body=None):
        try:
            return self.request(method, path, body)
        except HTTPError as exc:
            raise DashboardError(_http_error_line(self.address + path, exc)) from None

    def submit_job(self, body):
        """Submit a job whose runtime_env needs no upload; returns its submission id."""
        return (self._send("POST", "/api/jobs/", body) or {}).get("submission_id")

    def wait_for_terminal(self, submission_id, grace_s=0.0, poll_s=1.0):
        """Poll the job until it ends; return its details, or None when the deadline (+ grace_s) passed first."""

        def details():
            job = self.job(submission_id)
            if job is None:
                raise self._gone(submission_id)
            return job

        job, ended = self._poll(details, lambda job: job.get("status") in TERMINAL_STATUSES, grace_s, poll_s)
        return job if ended else None

    def wait_for_all_terminal(self, submission_ids, poll_s=1.0):
        """Poll the jobs, all of them in one request each time, until every one has ended or the deadline has
        passed; return their details by id (with those still running at the deadline)."""
        jobs, _ended = self._poll(lambda: self.jobs_by_id(submission_ids),
                                  lambda jobs: all(job.get("status") in TERMINAL_STATUSES for job in jobs.values()),
                                  poll_s=poll_s)
        return jobs

    def _poll(self, fetch, done, grace_s=0.0, poll_s=1.0):
        """fetch() until done(answer) or the deadline (+ grace_s) has passed: (the last answer, whether done).
        Polls fast at first (short jobs end within seconds), then every poll_s."""
        deadline = self.deadline + grace_s
        delays = poll_delays(slow_s=poll_s)
        while True:
            answer = fetch()
            if done(answer):
                return answer, True
            left = deadline - self._clock()
            if left <= 0:
                return answer, False
            self._sleep(min(next(delays), left))

    def _gone(self, submission_id):
        return DashboardError("job %s disappeared from %s while waiting for it" % (submission_id, self.address))


def _http_error_line(where, exc):
    if exc.code == 401:
        return "%s refused the request (HTTP 401): the cluster needs its token (auth_token or auth_token_file)" % where
    if exc.code == 403:
        return "%s refused the token (HTTP 403): it is not this cluster's (auth_token or auth_token_file)" % where
    try:
        body = exc.read().decode("utf-8", "replace").strip()
    except Exception:  # the body is only decoration for the message
        body = ""
    first_line = body.splitlines()[0] if body else exc.reason
    return "%s answered HTTP %s: %s" % (where, exc.code, first_line)


def _unwrap_state_api(data, address, path):
    try:
        return data["data"]["result"]["result"]
    except (KeyError, TypeError):
        raise DashboardError("unexpected answer from %s%s: %.200r" % (address, path.split("?")[0], data)) from None


def iso_time(ms):
    """Ray's epoch milliseconds as an ISO-8601 UTC string (None stays None)."""
    if not ms:
        return None
    return datetime.datetime.fromtimestamp(ms / 1000.0, tz=datetime.timezone.utc).isoformat()


def job_summary(details):
    """The fields a task returns for one job, from the dashboard's job details."""
    start, end = details.get("start_time"), details.get("end_time")
    return dict(
        submission_id=details.get("submission_id"),
        status=details.get("status"),
        message=details.get("message") or "",
        entrypoint=details.get("entrypoint"),
        metadata=details.get("metadata") or {},
        driver_exit_code=details.get("driver_exit_code"),
        start_time=iso_time(start),
        end_time=iso_time(end),
        duration_s=round((end - start) / 1000.0, 3) if start and end else None,
    )


def log_tail(logs, lines):
    """The last `lines` lines of a log; an empty string when lines is 0."""
    if lines <= 0:
        return ""
    return "\n".join((logs or "").splitlines()[-lines:])


def job_failure_line(submission_id, status, message, logs):
    """One line for a job that ended badly: Ray's verdict (its first line, without the logs Ray appends to it) and
    the last line the driver logged (the whole tail is in the result's `logs`)."""
    verdict = re.sub(r",? last available logs.*$", "", (message or "").strip().split("\n")[0]).strip()
    last = next((line.strip() for line in reversed((logs or "").splitlines()) if line.strip()), "")
    return "Ray job %s %s: %s%s" % (submission_id, status, verdict or "no message from Ray",
                                    "; its log ends: " + last if last else "")


def extract_result(logs):
    """The JSON document of the last RESULT_MARKER line in a driver's logs, or None."""
    for line in reversed((logs or "").splitlines()):
        position = line.find(RESULT_MARKER)
        if position < 0:
            continue
        try:
            return json.loads(line[position + len(RESULT_MARKER):])
        except ValueError:
            return None
    return None


def summarize_resources(resources):
    """Keep the resources people ask about; drop Ray's per-node bookkeeping entries (`node:…`)."""
    return {name: value for name, value in sorted(resources.items()) if not name.startswith("node:")}


def available_resources(usage):
    """Turn the load report's {camelName: [used, total]} into {snake_name: available}."""
    names = {"objectStoreMemory": "object_store_memory"}
    available = {}
    for name, pair in usage.items():
        if name.startswith("node:") or not isinstance(pair, list) or len(pair) != 2:
            continue
        available[names.get(name, name)] = pair[1] - pair[0]
    return dict(sorted(available.items()))


def merged_runtime_env(params):
    """The runtime_env option with the working_dir option in it (the option wins over a runtime_env entry)."""
    runtime_env = dict(params["runtime_env"] or {})
    if params["working_dir"]:
        runtime_env["working_dir"] = params["working_dir"]
    return runtime_env


def needs_upload(runtime_env):
    """Whether Ray's SDK must upload local code first: a working_dir or py_modules entry that is a path, not a URI."""
    paths = [runtime_env.get("working_dir")] + list(runtime_env.get("py_modules") or [])
    return any(isinstance(path, str) and "://" not in path for path in paths if path)


def version_mismatch(client_version, cluster_version):
    """A one-line error when the client and the cluster run different Ray versions, else None."""
    if client_version == cluster_version:
        return None
    return (
        "Ray version mismatch: this client has ray %s but the cluster runs ray %s; "
        "set ray_version to the cluster's version (or upgrade the cluster)" % (client_version, cluster_version)
    )
