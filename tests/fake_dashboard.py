"""An in-process HTTP server on loopback that answers JSON, standing in for a Ray dashboard where a real one cannot
be made to misbehave on purpose (another Ray version, a node that never joins, a request that hangs)."""

import json
import ssl
import threading
import urllib.parse
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.helpers import module_utils


@contextmanager
def json_server(answer, tls_files=None):
    """Serve `answer(method, path, headers, body) -> (status code, JSON document[, response headers])`, body being the
    request's JSON document or None (it may block, like a dashboard that hangs); yields the server's base URL. With
    `tls_files` (certificate, key) it serves HTTPS."""

    class Handler(BaseHTTPRequestHandler):
        def respond(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            code, document, *more_headers = answer(self.command, self.path, self.headers, body)
            payload = json.dumps(document).encode()
            self.send_response(code)
            for name, value in {"Content-Type": "application/json", "Content-Length": str(len(payload)),
                                **(more_headers[0] if more_headers else {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = respond  # noqa: N815 (http.server's names)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True  # a handler left hanging does not hold the test up
    scheme = "http"
    if tls_files:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls_files)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield "%s://127.0.0.1:%d" % (scheme, server.server_port)
    finally:
        server.shutdown()
        server.server_close()


class FakeRay:
    """The dashboard's Jobs and Serve APIs as a dict, for testing the modules' state machines in-process.

    A submitted job walks through `job_statuses` (one step per query of it, or of the job list) and then keeps the
    last one; Serve
    reports every declared application as `serve_status`, after dropping the first `dropped_deploys` PUTs as an
    overloaded Serve controller can. The state API lists `actors`. `requests` records (method, path, body)."""

    def __init__(self, ray_version, job_statuses=("PENDING", "RUNNING", "SUCCEEDED"), job_logs="", serve_status="RUNNING"):
        self.ray_version = ray_version
        self.job_statuses = list(job_statuses)
        self.job_logs = job_logs
        self.serve_status = serve_status
        self.dropped_deploys = 0
        self.actors = []
        self.jobs = {}  # submission id -> {"details": ..., "steps": statuses still to come}
        self.serve = {"http_options": {}, "applications": {}}
        self.requests = []

    def run(self, machine, options, check_mode=False):
        """Run a module's state machine (JobTask, JobBatch, ServeTask) against this fake, served on loopback:
        (its result or the TaskFailed it raised, the warnings it gave)."""
        ray_dashboard = module_utils("ray_dashboard")
        warnings = []
        with json_server(self) as address:
            task = machine(options, ray_dashboard.RayDashboard(address, options["timeout"]), check_mode, warnings.append)
            try:
                return task.run(), warnings
            except ray_dashboard.TaskFailed as failure:
                return failure, warnings

    def add_job(self, submission_id, entrypoint, status):
        self.jobs[submission_id] = {"details": self._details(submission_id, entrypoint, status), "steps": []}

    def _details(self, submission_id, entrypoint, status):
        return {"submission_id": submission_id, "entrypoint": entrypoint, "status": status, "message": "",
                "metadata": {}, "driver_exit_code": 0 if status == "SUCCEEDED" else None}

    def __call__(self, method, path, headers, body):
        self.requests.append((method, path, body))
        path, _unused, query = path.partition("?")
        parts = path.rstrip("/").split("/")[2:]  # after /api
        if parts == ["version"]:
            return 200, {"ray_version": self.ray_version, "ray_commit": "fake"}
        if parts[:1] == ["jobs"]:
            return self._jobs(method, parts[1:], body)
        if parts[:2] == ["serve", "applications"]:
            return self._serve(method, body)
        if parts == ["v0", "actors"]:
            asked = urllib.parse.parse_qs(query)
            wanted = dict(zip(asked.get("filter_keys", []), asked.get("filter_values", [])))
            found = [actor for actor in self.actors if all(str(actor.get(key)) == value for key, value in wanted.items())]
            return 200, {"data": {"result": {"result": found}}}
        return 404, {"error": path}

    def _jobs(self, method, parts, body):
        if method == "POST" and not parts:
            submission_id = body.get("submission_id") or "raysubmit_%d" % (len(self.jobs) + 1)
            self.jobs[submission_id] = {"details": self._details(submission_id, body["entrypoint"], self.job_statuses[0]),
                                        "steps": self.job_statuses[1:]}
            return 200, {"submission_id": submission_id}
        if method == "GET" and not parts:
            return 200, [self._step(job) for job in self.jobs.values()]
        job = self.jobs.get(parts[0]) if parts else None
        if job is None:
            return 404, {"error": "no such job"}
        if method == "DELETE":
            del self.jobs[parts[0]]
            return 200, {"deleted": True}
        if parts[1:] == ["stop"]:
            job["details"]["status"], job["steps"] = "STOPPED", []
            return 200, {"stopped": True}
        if parts[1:] == ["logs"]:
            return 200, {"logs": self.job_logs}
        return 200, self._step(job)

    @staticmethod
    def _step(job):
        if job["steps"]:
            job["details"]["status"] = job["steps"].pop(0)
        return job["details"]

    def _serve(self, method, body):
        if method == "PUT" and self.dropped_deploys:
            self.dropped_deploys -= 1
        elif method == "PUT":
            self.serve["http_options"] = body.get("http_options") or self.serve["http_options"]
            self.serve["applications"] = {
                config["name"]: {"status": self.serve_status, "message": "", "route_prefix": config.get("route_prefix"),
                                 "deployments": {"Model": {"status": "HEALTHY" if self.serve_status == "RUNNING" else "UNHEALTHY",
                                                           "message": "replica crashed"}},
                                 "deployed_app_config": config}
                for config in body["applications"]
            }
        elif method == "DELETE":
            self.serve = {"http_options": {}, "applications": {}}
        return 200, self.serve
