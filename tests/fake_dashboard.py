"""An in-process HTTP server on loopback that answers JSON, standing in for a Ray dashboard where a real one cannot
be made to misbehave on purpose (another Ray version, a node that never joins, a request that hangs)."""

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def json_server(answer):
    """Serve `answer(method, path, headers) -> (status code, JSON document)` (it may block, like a dashboard that
    hangs); yields the server's base URL."""

    class Handler(BaseHTTPRequestHandler):
        def respond(self):
            code, document = answer(self.command, self.path, self.headers)
            payload = json.dumps(document).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = respond  # noqa: N815 (http.server's names)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True  # a handler left hanging does not hold the test up
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield "http://127.0.0.1:%d" % server.server_port
    finally:
        server.shutdown()
        server.server_close()
