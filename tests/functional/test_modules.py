"""The modules run for real through `ansible` on localhost: input checks, unreachable clusters, docs, Ray's
environment and module_defaults.

None of these needs a running Ray cluster: bad input is refused before anything is contacted, and the rest talks
to in-process fake dashboards.
"""

import json
import subprocess
import sys
from importlib.metadata import version

import pytest

from tests.helpers import PROJECT_DIR, VENV_BIN, ansible_env, closed_port, run_module
from tests.fake_dashboard import FakeRay, json_server

MODULES = ["ray_job", "ray_job_batch", "ray_job_info", "ray_cluster_info", "ray_serve"]
DOCUMENTED = MODULES + ["nvidia_gpu_info", "apt_signing_key", "cluster_token", "controller_files", "stage_folder"]


def assert_one_line_failure(rc, result, starts_with):
    assert rc != 0
    assert result.get("failed") is True
    message = result["msg"]
    assert message.startswith(starts_with), message
    assert "\n" not in message and "Traceback" not in json.dumps(result)


@pytest.mark.parametrize(
    "args, starts_with",
    [
        ({"entrypoint": "python x.py", "no_such_option": 1}, "Unsupported parameters for (raybook.ray.ray_job) module: no_such_option"),
        ({"entrypoint": "   "}, "entrypoint: expected a non-empty command"),
        ({"entrypoint": "python x.py", "working_dir": "/no/such/dir"}, "working_dir: no such directory on this host: /no/such/dir"),
        ({"entrypoint": "python x.py", "timeout": -5}, "timeout: expected a finite number of seconds >= 0"),
        ({"entrypoint": "python x.py", "address": "127.0.0.1:8265"}, "address: expected an http(s) URL"),
        ({"entrypoint": "python x.py", "entrypoint_num_cpus": -1}, "entrypoint_num_cpus: expected a number >= 0"),
        ({"state": "absent"}, "submission_id: required with state=absent"),
        ({"entrypoint": "x", "working_dir": "/tmp", "runtime_env": {"working_dir": "/tmp"}}, "working_dir: given twice"),
        ({"entrypoint": "x", "state": "running"}, "value of state must be one of: present, stopped, absent"),
    ],
)
def test_ray_job_refuses_bad_input_in_one_line(args, starts_with):
    rc, result = run_module("ray_job", args)
    assert_one_line_failure(rc, result, starts_with)


@pytest.mark.parametrize("module", MODULES)
def test_an_unreachable_address_is_retried_then_named(module):
    address = "http://127.0.0.1:%d" % closed_port()
    args = {"address": address, "timeout": 2}
    if module == "ray_job":
        args["entrypoint"] = "python x.py"
    if module == "ray_job_batch":
        args["jobs"] = [{"entrypoint": "python x.py"}]
    if module == "ray_serve":
        args.update(name="app", import_path="serve_app:app")
    rc, result = run_module(module, args)
    assert_one_line_failure(rc, result, "Ray dashboard at %s unreachable after 2s: " % address)


def old_ray_dashboard(method, path, headers, body):
    """Answers like the dashboard of a Ray 2.9.0 cluster with no jobs (an old Ray cannot be installed beside ours)."""
    if path == "/api/version":
        return 200, {"version": "4", "ray_version": "2.9.0", "ray_commit": "x"}
    return 404, {"error": "Job does not exist"}


def test_a_cluster_with_another_ray_version_is_refused_before_submitting():
    with json_server(old_ray_dashboard) as address:
        rc, result = run_module("ray_job", {"address": address, "entrypoint": "python x.py", "submission_id": "v1"})
    assert_one_line_failure(rc, result, "Ray version mismatch: this client has ray 2.60.0 but the cluster runs ray 2.9.0")


@pytest.mark.parametrize("module", DOCUMENTED)
def test_ansible_doc_renders_the_module(module):
    completed = subprocess.run(
        [str(VENV_BIN / "ansible-doc"), "-M", str(PROJECT_DIR / "plugins" / "modules"), module],
        env=ansible_env(), capture_output=True, text=True, check=True,
    )
    assert "OPTIONS" in completed.stdout and "RETURN VALUES" in completed.stdout and "EXAMPLES" in completed.stdout
    assert "WARNING" not in completed.stderr and "ERROR" not in completed.stderr


@pytest.mark.parametrize(
    "args, starts_with",
    [
        ({"name": "a", "import_path": "no-colon"}, "import_path: expected 'module:attribute'"),
        ({"name": "a", "import_path": "app:x", "route_prefix": "x"}, "route_prefix: expected a path starting with '/'"),
        ({"name": "a", "import_path": "app:x", "working_dir": "/no/such/dir"}, "working_dir: no such directory on this host"),
        ({"name": " ", "import_path": "app:x"}, "name: expected a non-empty application name"),
        ({"name": "a", "import_path": "app:x", "deployments": [{"num_replicas": 2}]}, "deployments[0].name: expected"),
        ({"import_path": "app:x"}, "missing required arguments: name"),
        ({"name": "a"}, "state is present but all of the following are missing: import_path"),
    ],
)
def test_ray_serve_refuses_bad_input_in_one_line(args, starts_with):
    rc, result = run_module("ray_serve", args)
    assert_one_line_failure(rc, result, starts_with)


def test_ray_serve_in_check_mode_reports_the_change_without_uploading_or_deploying(tmp_path):
    """An in-process dashboard with no Serve application and no packages: check mode must compute the code's URI
    (asking whether the cluster has it) and report a change, but send no package and no Serve config."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("app = None\n")
    writes = []

    def answer(method, path, headers, body):
        if method != "GET":
            writes.append((method, path))
            return 200, {}
        if path.startswith("/api/version"):
            return 200, {"version": "4", "ray_version": version("ray"), "ray_commit": "x"}
        if path.startswith("/api/packages/"):
            return 404, {}
        return 200, {"applications": {}}

    with json_server(answer) as address:
        rc, result = run_module("ray_serve", {"name": "app", "import_path": "main:app", "working_dir": str(tmp_path / "app"),
                                              "address": address, "timeout": 30}, check=True, token=False)
    assert (rc, result["changed"]) == (0, True), result.get("msg")
    assert writes == []


@pytest.fixture
def token_dashboard(tmp_path):
    """An in-process dashboard that answers 401 without its token, as Ray's does: (its address, the token's file)."""
    token = "k" * 40
    (tmp_path / "token").write_text(token + "\n")

    def answer(method, path, headers, body):
        if headers.get("Authorization") != "Bearer " + token:
            return 401, {"error": "Unauthorized"}
        if path.startswith("/api/version"):
            return 200, {"version": "4", "ray_version": version("ray"), "ray_commit": "x"}
        return 200, []

    with json_server(answer) as address:
        yield address, tmp_path / "token"


def test_a_module_reaches_a_token_cluster_through_rays_environment_alone(token_dashboard):
    """ray_job_info run for real with no address or token option: RAY_ADDRESS and RAY_AUTH_TOKEN_PATH lead it there."""
    address, token_file = token_dashboard
    rc, result = run_module("ray_job_info", {}, token=False, env={"RAY_ADDRESS": address, "RAY_AUTH_TOKEN_PATH": str(token_file)})
    assert rc == 0, result.get("msg")
    rc, result = run_module("ray_job_info", {}, token=False, env={"RAY_ADDRESS": address})
    assert rc != 0 and "401" in result["msg"], result.get("msg")


def test_module_defaults_for_the_ray_group_reach_every_ray_module(tmp_path, token_dashboard):
    """meta/runtime.yml's action group: `module_defaults: group/raybook.ray.ray` gives the Ray modules their
    connection once."""
    address, token_file = token_dashboard
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n"
        "  module_defaults:\n    group/raybook.ray.ray:\n      address: '{{ dashboard }}'\n      auth_token_file: '{{ token_file }}'\n"
        "  tasks:\n    - raybook.ray.ray_job_info: {}\n")
    completed = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), str(playbook), "-i", "localhost,", "-c", "local",
         "-e", "ansible_python_interpreter=" + sys.executable, "-e", "dashboard=" + address, "-e", "token_file=%s" % token_file],
        check=False, env=ansible_env(), cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-2000:]


def one_node_dashboard(token):
    """An in-process dashboard of a one-node cluster; with a token, it answers 401 without it, as Ray's does."""
    def answer(method, path, headers, body):
        if token and headers.get("Authorization") != "Bearer " + token:
            return 401, {"error": "Unauthorized"}
        if path.startswith("/api/version"):
            return 200, {"version": "4", "ray_version": version("ray"), "ray_commit": "x"}
        if path.startswith("/api/v0/nodes"):
            node = {"node_id": "n1", "node_ip": "127.0.0.1", "is_head_node": True, "state": "ALIVE",
                    "resources_total": {"CPU": 2.0}}
            return 200, {"data": {"result": {"result": [node]}}}
        return 200, {}

    return answer


@pytest.mark.parametrize("token, opened", [("k" * 40, False), (None, True)])
def test_check_open_says_whether_the_dashboard_answers_without_the_token(tmp_path, token, opened):
    """ray_cluster_info's check_open: one request without the token, beside the usual answer made with it."""
    (tmp_path / "token").write_text("k" * 40 + "\n")
    with json_server(one_node_dashboard(token)) as address:
        rc, result = run_module("ray_cluster_info", {"address": address, "auth_token_file": str(tmp_path / "token"),
                                                     "check_open": True})
    assert rc == 0, result.get("msg")
    assert (result["open_without_token"], result["nodes_alive"]) == (opened, 1)


def test_check_open_answers_even_when_the_token_is_refused(tmp_path):
    """A token cluster that refuses the token file's token still says that it does not answer without one."""
    (tmp_path / "token").write_text("w" * 40 + "\n")
    with json_server(one_node_dashboard("k" * 40)) as address:
        rc, result = run_module("ray_cluster_info", {"address": address, "auth_token_file": str(tmp_path / "token"),
                                                     "check_open": True, "timeout": 0})
    assert_one_line_failure(rc, result, address + "/api/version refused the request (HTTP 401)")
    assert result["open_without_token"] is False


def test_cluster_token_through_ansible_writes_nothing_in_check_mode_then_once(tmp_path):
    """The action plugin run for real by `ansible`: check mode says what it would do; the token is never shown."""
    path = tmp_path / "project" / ".raybook" / "auth_token"
    rc, result = run_module("cluster_token", {"path": str(path)}, check=True)
    assert (rc, result["changed"], result["steps"], path.parent.exists()) == (0, True, ["folder", "token"], False)
    rc, result = run_module("cluster_token", {"path": str(path)})
    token = path.read_text()
    assert (rc, result["changed"], len(token)) == (0, True, 48)
    assert token not in json.dumps(result)
    rc, result = run_module("cluster_token", {"path": str(path)})
    assert (rc, result["changed"], path.read_text()) == (0, False, token)


@pytest.mark.parametrize("args, starts_with", [
    ({"paths": "/tmp/x"}, "Unsupported parameters for (raybook.ray.cluster_token): paths; expected path, length"),
    ({"path": "/tmp/x", "length": 8}, "length: expected at least 32 characters, got 8"),
    ({"path": "/etc/hostname/auth_token"}, "path: /etc/hostname is not a folder"),
])
def test_cluster_token_refuses_bad_input_in_one_line(args, starts_with):
    rc, result = run_module("cluster_token", args)
    assert_one_line_failure(rc, result, starts_with)


def test_controller_files_writes_in_order_once_and_nothing_in_check_mode(tmp_path):
    """The action plugin run for real by `ansible`: a run's summary, its latest link and COMPLETE, as ray_workloads
    writes them; check mode names what would change; a second run changes nothing."""
    args = {"dest": str(tmp_path / "results"), "entries": [
        {"path": "run-1/summary.json", "content": "{}\n"}, {"path": "latest", "link": "run-1"},
        {"path": "run-1/COMPLETE", "content": "run-1\n"}]}
    rc, result = run_module("controller_files", args, check=True)
    assert (rc, result["changed"], (tmp_path / "results").exists()) == (0, True, False)
    assert result["changed_paths"] == ["run-1/summary.json", "latest", "run-1/COMPLETE"]
    rc, result = run_module("controller_files", args)
    assert (rc, result["changed"]) == (0, True)
    assert (tmp_path / "results" / "latest" / "COMPLETE").read_text() == "run-1\n"
    rc, result = run_module("controller_files", args)
    assert (rc, result["changed"], result["changed_paths"]) == (0, False, [])


@pytest.mark.parametrize("args, starts_with", [
    ({"dest": "/tmp/x", "entries": [{"path": "../y", "content": ""}]}, "entries: path '../y' is not a plain path inside dest"),
    ({"dest": "/tmp/x", "entries": [{"path": "y", "content": "", "link": "z"}]}, "parameters are mutually exclusive: content|link"),
    ({"dest": "/tmp/x", "entries": [], "owner": "me"}, "Unsupported parameters for (raybook.ray.controller_files): owner"),
    ({"dest": "/etc/hostname", "entries": [{"path": "y", "content": ""}]}, "dest: cannot write under /etc/hostname"),
])
def test_controller_files_refuses_bad_input_in_one_line(args, starts_with):
    rc, result = run_module("controller_files", args)
    assert_one_line_failure(rc, result, starts_with)


def test_stage_folder_through_ansible_sends_the_folder_once_and_mirrors_its_deletions(tmp_path):
    """The action plugin run for real by `ansible` (the local connection: the same shell and tar steps as over SSH)."""
    src, dest = tmp_path / "train", tmp_path / "host" / "stage" / "train"
    src.mkdir()
    (src / "train.py").write_text("print('hi')\n")
    (src / "old.py").write_text("")
    args = {"src": str(src), "dest": str(dest)}
    rc, result = run_module("stage_folder", args)
    assert (rc, result["changed"], sorted(path.name for path in dest.iterdir())) == (0, True, ["old.py", "train.py"])
    rc, result = run_module("stage_folder", args)
    assert (rc, result["changed"]) == (0, False)
    (src / "old.py").unlink()
    rc, result = run_module("stage_folder", args, check=True)
    assert (rc, result["changed"], (dest / "old.py").exists()) == (0, True, True)
    rc, result = run_module("stage_folder", args)
    assert (rc, result["changed"], [path.name for path in dest.iterdir()]) == (0, True, ["train.py"])


@pytest.mark.parametrize("args, starts_with", [
    ({"src": "/no/such/folder", "dest": "/tmp/x"}, "src: no such folder on the controller: /no/such/folder"),
    ({"src": "/tmp", "dest": "~/"}, "dest: expected a folder at least two levels below / or ~ (it is replaced whole), got '~'"),
    ({"src": "/tmp", "dest": "/home"}, "dest: expected a folder at least two levels below / or ~"),
    ({"src": "/tmp", "dest": "/tmp/x", "mode": "0644"}, "Unsupported parameters for (raybook.ray.stage_folder): mode"),
])
def test_stage_folder_refuses_bad_input_in_one_line(args, starts_with):
    rc, result = run_module("stage_folder", args)
    assert_one_line_failure(rc, result, starts_with)


def test_a_batch_run_through_ansible_returns_each_job_and_fails_in_one_line(tmp_path):
    """ray_job_batch for real against the in-process fake Jobs API: each job's result in order, then one failing."""
    fake = FakeRay(version("ray"), job_logs='RAYBOOK_RESULT {"n": 1}\n')
    jobs = [{"submission_id": "batch-%d" % n, "entrypoint": "python -c pass"} for n in range(3)]
    with json_server(fake) as address:
        rc, result = run_module("ray_job_batch", {"address": address, "jobs": jobs, "timeout": 30}, token=False)
        assert rc == 0, result.get("msg")
        assert [(job["submission_id"], job["status"], job["result"]) for job in result["jobs"]] == [
            ("batch-%d" % n, "SUCCEEDED", {"n": 1}) for n in range(3)]
        fake.add_job("batch-3", "python -c pass", "FAILED")
        rc, result = run_module("ray_job_batch", {"address": address, "jobs": jobs + [{"submission_id": "batch-3", "entrypoint": "python -c pass"}]},
                                token=False)
    assert_one_line_failure(rc, result, "1 of 4 Ray jobs did not succeed (batch-3); the first: Ray job batch-3 FAILED")
    assert result["changed"] is False and len(result["jobs"]) == 4


def test_a_batch_refuses_an_unknown_job_option_naming_it():
    rc, result = run_module("ray_job_batch", {"jobs": [{"entrypoint": "python x.py", "timout": 3}]}, token=False)
    assert_one_line_failure(rc, result, "Unsupported parameters for (raybook.ray.ray_job_batch) module: jobs.timout.")
