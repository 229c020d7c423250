"""Unit tests of the shared dashboard code (module_utils/ray_dashboard.py)."""

import ssl
import subprocess

import pytest
from ansible_collections.raybook.ray.plugins.module_utils import ray_dashboard

from tests.fake_dashboard import json_server
from tests.helpers import closed_port


def params(**overrides):
    base = {"address": "http://127.0.0.1:8265", "timeout": 10.0}
    base.update(overrides)
    return base


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1:8265", "localhost", "ftp://127.0.0.1:8265", "http://", "", None, "http://127.0.0.1:99999"],
)
def test_an_address_that_is_not_an_http_url_is_refused_naming_the_field(address):
    error = ray_dashboard.check_connection_options(params(address=address))
    assert error.startswith("address: ")
    assert "\n" not in error


def test_a_negative_timeout_is_refused():
    assert ray_dashboard.check_connection_options(params(timeout=-1.0)) == (
        "timeout: expected a finite number of seconds >= 0, got -1.0"
    )


@pytest.mark.parametrize("address", ["http://127.0.0.1:8265", "https://ray.example.org", "http://[::1]:8265/"])
def test_good_addresses_pass(address):
    assert ray_dashboard.check_connection_options(params(address=address)) is None


def test_backoff_doubles_up_to_its_cap():
    delays = ray_dashboard.backoff_delays(first=0.5, cap=5.0)
    assert [next(delays) for _unused in range(7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_jobs_are_polled_fast_at_first_then_every_poll_s():
    delays = ray_dashboard.poll_delays(fast_s=0.2, fast_for_s=1.0, slow_s=1.0)
    assert [next(delays) for _unused in range(7)] == [0.2] * 5 + [1.0] * 2


def test_an_unreachable_dashboard_is_retried_with_backoff_then_named():
    """A real refused connection; only the clock and the sleeps are simulated, to keep the test fast."""
    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    address = "http://127.0.0.1:%d" % closed_port()
    dashboard = ray_dashboard.RayDashboard(address, timeout=10, clock=lambda: now[0], sleep=sleep)
    with pytest.raises(ray_dashboard.RayUnreachable) as caught:
        dashboard.version()
    message = str(caught.value)
    assert message.startswith("Ray dashboard at %s unreachable after 10s: " % address)
    assert "refused" in message.lower()
    assert sleeps == [0.5, 1.0, 2.0, 4.0]


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    """A certificate for 127.0.0.1 that no CA signed, and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return str(cert), str(key)


def test_an_https_dashboard_without_validate_certs_answers_every_request_through_one_tls_context(monkeypatch, self_signed):
    made, tls_context = [], ray_dashboard.tls_context

    def counted_tls_context(validate_certs):
        made.append(tls_context(validate_certs))
        return made[-1]

    monkeypatch.setattr(ray_dashboard, "tls_context", counted_tls_context)
    with json_server(lambda *_unused: (200, {"ray_version": "2.0.0"}), tls_files=self_signed) as address:
        dashboard = ray_dashboard.RayDashboard(address, timeout=5, validate_certs=False)
        for _unused in range(3):
            assert dashboard.get("/api/version") == {"ray_version": "2.0.0"}
    assert [context.verify_mode for context in made] == [ssl.CERT_NONE]


def test_a_plain_http_dashboard_loads_no_tls_context(monkeypatch):
    made = []
    monkeypatch.setattr(ray_dashboard, "tls_context", made.append)
    with json_server(lambda *_unused: (200, {"ray_version": "2.0.0"})) as address:
        assert ray_dashboard.RayDashboard(address, timeout=5).get("/api/version") == {"ray_version": "2.0.0"}
    assert address.startswith("http://") and made == []


def test_an_http_dashboard_that_redirects_to_https_keeps_validate_certs(self_signed):
    """An ingress may send http to https: without validate_certs the redirect's self-signed certificate is taken."""
    with json_server(lambda *_unused: (200, {"ray_version": "2.0.0"}), tls_files=self_signed) as https_address:
        def redirect(_method, path, *_unused):
            return 302, {}, {"Location": https_address + path}

        with json_server(redirect) as http_address:
            assert ray_dashboard.RayDashboard(http_address, timeout=5, validate_certs=False).version() == {"ray_version": "2.0.0"}
            with pytest.raises(ray_dashboard.RayUnreachable, match="CERTIFICATE_VERIFY_FAILED"):
                ray_dashboard.RayDashboard(http_address, timeout=0).version()


def test_an_https_dashboard_whose_certificate_no_ca_signed_is_refused_by_default(self_signed):
    with json_server(lambda *_unused: (200, {"ray_version": "2.0.0"}), tls_files=self_signed) as address:
        with pytest.raises(ray_dashboard.RayUnreachable, match="CERTIFICATE_VERIFY_FAILED"):
            ray_dashboard.RayDashboard(address, timeout=0).version()


def test_timeout_zero_tries_once():
    sleeps = []
    dashboard = ray_dashboard.RayDashboard("http://127.0.0.1:%d" % closed_port(), timeout=0, sleep=sleeps.append)
    with pytest.raises(ray_dashboard.RayUnreachable):
        dashboard.version()
    assert sleeps == []


def test_the_last_result_marker_line_is_the_result():
    logs = 'noise\nRAYBOOK_RESULT {"a": 1}\nmore\nINFO x -- RAYBOOK_RESULT {"a": 2, "b": [1]}\ntrailing'
    assert ray_dashboard.extract_result(logs) == {"a": 2, "b": [1]}


@pytest.mark.parametrize("logs", ["", None, "no marker here", "RAYBOOK_RESULT {not json"])
def test_no_or_broken_result_gives_none(logs):
    assert ray_dashboard.extract_result(logs) is None


def test_log_tail_keeps_the_last_lines():
    logs = "\n".join(str(n) for n in range(10))
    assert ray_dashboard.log_tail(logs, 3) == "7\n8\n9"
    assert ray_dashboard.log_tail(logs, 0) == ""
    assert ray_dashboard.log_tail(None, 5) == ""


def test_job_summary_converts_times_and_duration():
    details = {
        "submission_id": "s1",
        "status": "SUCCEEDED",
        "message": "Job finished successfully.",
        "entrypoint": "python x.py",
        "start_time": 1795637749334,
        "end_time": 1795637752163,
        "driver_exit_code": 0,
        "metadata": None,
    }
    summary = ray_dashboard.job_summary(details)
    assert summary["duration_s"] == 2.829
    assert summary["start_time"] == "2026-11-25T20:15:49.334000+00:00"
    assert summary["metadata"] == {}
    assert ray_dashboard.job_summary({"status": "PENDING", "start_time": 0})["duration_s"] is None


def test_resources_drop_ray_bookkeeping_and_compute_what_is_free():
    usage = {"objectStoreMemory": [1.0, 10.0], "CPU": [0.5, 2.0], "node:192.0.2.2": [0.0, 1.0], "GPU": [1.0, 1.0]}
    assert ray_dashboard.available_resources(usage) == {"CPU": 1.5, "GPU": 0.0, "object_store_memory": 9.0}
    assert ray_dashboard.summarize_resources({"CPU": 2.0, "node:__internal_head__": 1.0}) == {"CPU": 2.0}


def test_version_mismatch_names_both_versions():
    assert ray_dashboard.version_mismatch("2.60.0", "2.60.0") is None
    message = ray_dashboard.version_mismatch("2.60.0", "2.9.0")
    assert "client has ray 2.60.0" in message and "cluster runs ray 2.9.0" in message


def test_the_token_goes_into_a_bearer_header(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret\n")
    assert ray_dashboard.auth_headers({"auth_token": None, "auth_token_file": str(token_file)}) == {"Authorization": "Bearer s3cret"}
    assert ray_dashboard.auth_headers({"auth_token": "given", "auth_token_file": str(token_file)}) == {"Authorization": "Bearer given"}
    assert ray_dashboard.auth_headers({"auth_token": None, "auth_token_file": None}) == {}


@pytest.mark.parametrize("content, expected", [(None, "auth_token_file: cannot read"), ("\n", "auth_token_file: ")])
def test_a_missing_or_empty_token_file_is_named(tmp_path, content, expected):
    token_file = tmp_path / "token"
    if content is not None:
        token_file.write_text(content)
    with pytest.raises(ray_dashboard.DashboardError) as error:
        ray_dashboard.auth_headers({"auth_token": None, "auth_token_file": str(token_file)})
    assert str(error.value).startswith(expected) and str(token_file) in str(error.value)


@pytest.mark.parametrize("runtime_env, upload", [
    ({}, False),
    ({"working_dir": "gcs://_ray_pkg_abc.zip"}, False),
    ({"working_dir": "/srv/train"}, True),
    ({"py_modules": ["s3://bucket/lib.zip", "./lib"]}, True),
    ({"pip": ["torch"], "env_vars": {"A": "1"}}, False),
])
def test_only_local_code_needs_the_sdks_upload(runtime_env, upload):
    assert ray_dashboard.needs_upload(runtime_env) is upload


ENV_CASES = {
    "nothing set: the local default": ({}, {}, {"address": "http://127.0.0.1:8265"}),
    "RAY_API_SERVER_ADDRESS first": ({"RAY_API_SERVER_ADDRESS": "http://head:8265", "RAY_ADDRESS": "http://other:8265"}, {},
                                     {"address": "http://head:8265"}),
    "RAY_ADDRESS when it is the dashboard": ({"RAY_ADDRESS": "https://ray.example:443"}, {}, {"address": "https://ray.example:443"}),
    "RAY_ADDRESS that is a GCS address is not the dashboard": ({"RAY_ADDRESS": "10.0.0.1:6379"}, {}, {"address": "http://127.0.0.1:8265"}),
    "the task's address wins": ({"RAY_ADDRESS": "http://env:8265"}, {"address": "http://task:8265"}, {"address": "http://task:8265"}),
    "RAY_AUTH_TOKEN": ({"RAY_AUTH_TOKEN": "t" * 32}, {}, {"auth_token": "t" * 32}),
    "RAY_AUTH_TOKEN before RAY_AUTH_TOKEN_PATH": ({"RAY_AUTH_TOKEN": "t" * 32, "RAY_AUTH_TOKEN_PATH": "/p"}, {}, {"auth_token": "t" * 32}),
    "RAY_AUTH_TOKEN_PATH": ({"RAY_AUTH_TOKEN_PATH": "/etc/ray/token"}, {}, {"auth_token_file": "/etc/ray/token"}),
    "the task's token file wins over the environment's token": ({"RAY_AUTH_TOKEN": "env"}, {"auth_token_file": "/task"},
                                                                {"auth_token_file": "/task", "auth_token": None}),
}


@pytest.mark.parametrize("case", ENV_CASES, ids=list(ENV_CASES))
def test_connection_options_fall_back_to_rays_environment_as_its_cli_does(case, tmp_path):
    environ, given, expected = ENV_CASES[case]
    options = {"address": None, "auth_token": None, "auth_token_file": None, **given}
    ray_dashboard.fill_from_ray_environment(options, environ=environ, home=str(tmp_path))
    for key, value in expected.items():
        assert options[key] == value, key


def test_rays_own_token_file_is_the_last_fallback(tmp_path):
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("x" * 32)
    options = {"address": None, "auth_token": None, "auth_token_file": None}
    ray_dashboard.fill_from_ray_environment(options, environ={}, home=str(tmp_path))
    assert options["auth_token_file"] == str(tmp_path / ".ray" / "auth_token")
    empty = {"address": None, "auth_token": None, "auth_token_file": None}
    ray_dashboard.fill_from_ray_environment(empty, environ={}, home=str(tmp_path / "elsewhere"))
    assert empty["auth_token_file"] is None


def test_a_failed_job_is_said_in_one_line_with_rays_verdict_and_the_last_log_line():
    message = ("Job entrypoint command failed with exit code 1, last available logs (truncated to 20,000 chars):\n"
               "Traceback (most recent call last):\n  ...\nRuntimeError: boom\n")
    line = ray_dashboard.job_failure_line("raybook-x-train", "FAILED", message, "step 1\nRuntimeError: boom\n\n")
    assert line == "Ray job raybook-x-train FAILED: Job entrypoint command failed with exit code 1; its log ends: RuntimeError: boom"
    assert ray_dashboard.job_failure_line("j", "STOPPED", "", "") == "Ray job j STOPPED: no message from Ray"
