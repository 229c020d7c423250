"""Malformed input across the modules, the roles, the playbooks and the CLI: each fails with a non-zero exit and
one line that names the field, without a traceback, before anything starts (no Ray cluster is needed: none of
these may get that far)."""

import json
import os
import subprocess
import sys

import pytest

from raybook import runner
from tests.helpers import PROJECT_DIR, VENV_BIN, ansible_env, run_module

MODULE_CASES = {
    "ray_job: address not http": ("ray_job", {"entrypoint": "true", "address": "ftp://head:8265"}, "address: expected an http(s) URL"),
    "ray_job: port out of range": ("ray_job", {"entrypoint": "true", "address": "http://head:99999"}, "address: the port in"),
    "ray_job: negative timeout": ("ray_job", {"entrypoint": "true", "timeout": -1}, "timeout: expected a finite number of seconds >= 0"),
    "ray_job: timeout not a number": ("ray_job", {"entrypoint": "true", "timeout": "soon"}, "argument 'timeout' is of type"),
    "ray_job: empty entrypoint": ("ray_job", {"entrypoint": "  "}, "entrypoint: expected a non-empty command"),
    "ray_job: negative CPUs": ("ray_job", {"entrypoint": "true", "entrypoint_num_cpus": -2}, "entrypoint_num_cpus: expected a number >= 0"),
    "ray_job: missing working_dir": ("ray_job", {"entrypoint": "true", "working_dir": "/no/such/dir"}, "working_dir:"),
    "ray_job: stop without an id": ("ray_job", {"state": "stopped"}, "submission_id: required with state=stopped"),
    "ray_job: unknown state": ("ray_job", {"entrypoint": "true", "state": "paused"}, "value of state must be one of"),
    "ray_job: unreadable token file": ("ray_job", {"entrypoint": "true", "auth_token_file": "/no/such/token"}, "auth_token_file: cannot read /no/such/token"),
    "ray_job_info: negative log tail": ("ray_job_info", {"log_tail_lines": -5}, "log_tail_lines: expected a number >= 0"),
    "ray_job: dashboard down (retried, then named)": ("ray_job", {"entrypoint": "true", "address": "http://127.0.0.1:9", "timeout": 3},
                                                      "Ray dashboard at http://127.0.0.1:9 unreachable after 3s"),
    "ray_cluster_info: unreachable address": ("ray_cluster_info", {"address": "http://127.0.0.1:9", "timeout": 0},
                                              "Ray dashboard at http://127.0.0.1:9 unreachable"),
    "ray_serve: missing import_path": ("ray_serve", {"name": "app"}, "import_path"),
    "ray_job: timeout inf": ("ray_job", {"entrypoint": "true", "timeout": "inf"}, "timeout: expected a finite number of seconds >= 0, got inf"),
    "ray_job: timeout nan": ("ray_job", {"entrypoint": "true", "timeout": "nan"}, "timeout: expected a finite number of seconds >= 0, got nan"),
    "ray_serve: timeout inf": ("ray_serve", {"name": "a", "import_path": "a:b", "timeout": "inf"}, "timeout: expected a finite number"),
    "ray_cluster_info: negative timeout": ("ray_cluster_info", {"timeout": -3}, "timeout: expected a finite number of seconds >= 0, got -3"),
    "ray_job_info: timeout nan": ("ray_job_info", {"timeout": "nan"}, "timeout: expected a finite number of seconds >= 0, got nan"),
    "ray_serve: http_port not a number": ("ray_serve", {"name": "a", "import_path": "a:b", "http_port": "web"}, "argument 'http_port' is of type"),
    "ray_serve: unknown proxy location": ("ray_serve", {"name": "a", "import_path": "a:b", "proxy_location": "Everywhere"},
                                          "value of proxy_location must be one of"),
    "ray_job_batch: no jobs": ("ray_job_batch", {"jobs": []}, "jobs: expected at least one job"),
    "ray_job_batch: one id twice": ("ray_job_batch", {"jobs": [{"entrypoint": "x", "submission_id": "a"}, {"entrypoint": "y", "submission_id": "a"}]},
                                    "jobs[1].submission_id: a is given twice"),
    "ray_job_batch: missing working_dir": ("ray_job_batch", {"jobs": [{"entrypoint": "x", "working_dir": "/no/such/dir"}]},
                                           "jobs[0].working_dir: no such directory on this host: /no/such/dir"),
    "ray_serve: import path without a colon": ("ray_serve", {"name": "a", "import_path": "app"}, "import_path:"),
    "ray_job: empty token": ("ray_job", {"entrypoint": "true", "auth_token_file": "/dev/null"}, "auth_token_file: /dev/null is empty"),
    "ray_cluster_info: address without a host": ("ray_cluster_info", {"address": "http://:8265"}, "address: expected an http(s) URL"),
}


@pytest.mark.parametrize("case", MODULE_CASES, ids=list(MODULE_CASES))
def test_module_bad_input(case):
    module, args, expected = MODULE_CASES[case]
    rc, result = run_module(module, args, token=False)
    message = result.get("msg", "")
    assert rc != 0
    assert expected in message and "\n" not in message and "Traceback" not in message, message


def playbook_failure(*args):
    """ansible-playbook with the json callback: (rc, the failed task's message as the CLI shows it)."""
    env = {**ansible_env(), "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"}
    completed = subprocess.run([str(VENV_BIN / "ansible-playbook"), *args], check=False, cwd=PROJECT_DIR, env=env,
                               capture_output=True, text=True, timeout=300)
    report = json.loads(completed.stdout)
    failed = [host for play in report["plays"] for task in play["tasks"]
              for host in task["hosts"].values() if host.get("failed") and not host.get("ignore_errors")]
    # A loop's failure says only "One or more items failed"; its failed item says why (as the CLI shows).
    messages = [next((item["msg"] for item in host.get("results", []) if item.get("failed")), host.get("msg", ""))
                for host in failed]
    message = messages[-1] if messages else completed.stderr
    return completed.returncode, runner.failure_line({"res": {"msg": message}})["msg"]


def role(name, extra):
    return ["tests/playbooks/role.yml", "-i", "inventory/local.yml", "-e", f"role_name={name}", "-e", json.dumps(extra)]


def render(extra):
    return ["playbooks/render.yml", "-i", "inventory/kind.yml", "-e", "raybook_render_dir=/tmp/raybook-bad-input", "-e", json.dumps(extra)]


def group(**fields):
    return {"name": "cpu", "replicas": 1, "cpu": 1, "memory": "2Gi", **fields}


BAD_WORKLOADS = PROJECT_DIR / "tests" / "fixtures" / "bad-workloads"
PLAYBOOK_CASES = {
    "worker group without a name": (render({"raycluster_worker_groups": [{"replicas": 1, "cpu": 1, "memory": "2Gi"}]}), "raycluster_worker_groups"),
    "negative replicas": (render({"raycluster_worker_groups": [group(replicas=-1)]}), "raycluster_worker_groups[0].replicas: expected a whole number >= 0"),
    "min_replicas above max_replicas": (render({"raycluster_worker_groups": [group(min_replicas=3, max_replicas=1)]}),
                                        "raycluster_worker_groups[0].min_replicas: expected <= max_replicas"),
    "memory Kubernetes rejects": (render({"raycluster_head": {"cpu": 1, "memory": "4GB"}}), "raycluster_head.memory: expected a positive Kubernetes quantity"),
    "replicas not a number": (render({"raycluster_worker_groups": [group(replicas="many")]}), "replicas"),
    "proxy without a scheme": (role("proxy", {"proxy_http_proxy": "proxy.example:3128"}), "proxy_http_proxy, proxy_https_proxy: expected a URL like http://"),
    "unknown architecture": (role("k8s_tools", {"k8s_tools_arch": "sparc64"}), "k8s_tools_arch: sparc64 is not supported"),
    "tool version without a checksum": (role("k8s_tools", {"k8s_tools_kubectl_version": "1.99.0", "k8s_tools_install": ["kubectl"]}),
                                        "k8s_tools_checksums: no sha256 for kubectl 1.99.0"),
    "unpinned image for kind": (role("kind_cluster", {"kind_cluster_preload_images": ["rayproject/ray:latest"]}),
                                "kind_cluster_preload_images: rayproject/ray:latest has no pinned tag"),
    "negative CPUs for a Ray node": (role("ray_node", {"ray_node_num_cpus": -1}), "ray_node_num_cpus"),
    "unknown platform": (["site.yml", "-e", "ray_platform=openstack"], "value of ray_platform must be one of: baremetal, kind, kubernetes, got: openstack"),
    "kind without a kind host": (["site.yml", "-i", "tests/fixtures/inventories/kind_without_kind_host.yml"],
                                 "inventory: ray_platform kind expects exactly one host in group kind_hosts (found 0)"),
    "bad run id": (["playbooks/workloads.yml", "-e", "raybook_run_id=a/b"], "raybook_run_id: expected letters, digits"),
    "render without a folder": (["playbooks/render.yml", "-i", "inventory/kind.yml"], "raybook_render_dir: expected a folder"),
    "ray_version as a YAML float": (["site.yml", "-e", '{"ray_version": 2.60}'],
                                    "ray_version: expected a Ray release as a quoted string X.Y.Z, such as '2.60.0', got 2.6"),
    "ray_version latest": (["site.yml", "-e", "ray_version=latest"], "ray_version: expected a Ray release as a quoted string X.Y.Z"),
    "ray_version on kind, float": (["playbooks/render.yml", "-i", "inventory/kind.yml",
                                    "-e", '{"ray_version": 2.6, "raybook_render_dir": "/tmp/raybook-bad-input"}'],
                                   "ray_version: expected a Ray release as a quoted string X.Y.Z"),
    "head without memory": (render({"raycluster_head": {"cpu": 1}}), "missing required arguments: memory found in raycluster_head"),
    "negative GPUs in a worker group": (render({"raycluster_worker_groups": [group(gpu=-1)]}), "raycluster_worker_groups[0].gpu: expected a whole number >= 0"),
    "token auth dropped on kind": (render({"raycluster_auth_mode": "disabled"}), "raycluster_auth_mode: expected token while raybook_auth_mode is token"),
    "the guide's Ray 2.9.0 with token auth": (render({"ray_version": "2.9.0", "kuberay_version": "1.2.2"}),
                                              "raycluster_auth_mode: expected disabled with ray_version below 2.52.0"),
    "hashes required, no lock file": (role("ray_node", {"ray_node_pip_require_hashes": True, "ray_node_pip_lock_file": "/no/lock.txt"}),
                                      "ray_node_pip_lock_file: /no/lock.txt is not a file (expected a lock of the node's pinned set"),
    "hashes required, a stale lock": (role("ray_node", {"ray_node_pip_require_hashes": True, "ray_version": "2.59.0"}),
                                      "requirements-node.txt does not pin ray[default,serve,train,data]==2.59.0 (expected a lock"),
    "hashes required, an unpinned package": (role("ray_node", {"ray_node_pip_require_hashes": True, "ray_node_pip_packages": ["numpy"]}),
                                             "requirements-node.txt does not pin numpy (expected a lock"),
    "image digest that is a tag": (render({"raycluster_image_digest": "2.60.0"}),
                                   "raycluster_image_digest: expected an image digest sha256:<64 lower-case hex digits>, got '2.60.0'"),
    "operator digest in upper case": (render({"kuberay_operator_image_digest": "sha256:" + "A" * 64}),
                                      "kuberay_operator_image_digest: expected sha256:<64 lower-case hex digits>"),
    "preload digest without a tag": (role("kind_cluster", {"kind_cluster_preload_images": ["rayproject/ray@sha256:" + "a" * 64]}),
                                     "kind_cluster_preload_images: rayproject/ray@sha256:aaaa"),
    "workload timeout inf": (["playbooks/workloads.yml", "-e", '{"raybook_workloads_dir": "%s", "raybook_workloads": ["forever"]}' % BAD_WORKLOADS],
                             "forever/workload.yml: timeout: expected a finite number of seconds > 0, got inf"),
    "unknown serve field": (["playbooks/workloads.yml", "-e", '{"raybook_workloads_dir": "%s", "raybook_workloads": ["badserve"]}' % BAD_WORKLOADS],
                            "badserve/workload.yml: serve.port: unknown field; expected only name, import_path"),
}


@pytest.mark.parametrize("case", PLAYBOOK_CASES, ids=list(PLAYBOOK_CASES))
def test_playbook_bad_input(case):
    args, expected = PLAYBOOK_CASES[case]
    rc, message = playbook_failure(*args)
    assert rc != 0
    assert expected in message and "\n" not in message.strip() and "Traceback" not in message, message


def test_a_short_token_is_refused_before_anything_starts(tmp_path):
    token = tmp_path / "token"
    token.write_text("s3cret!\n")
    rc, message = playbook_failure("playbooks/cluster.yml", "-i", "inventory/local.yml", "-e", "raybook_auth_token_file=%s" % token)
    assert rc != 0
    assert message == ("raybook_auth_token_file: the token in %s has 7 characters; expected at least 32 "
                       "(delete the file to have one generated)" % token)


def test_ray_node_without_a_ray_head_group_says_so_itself(tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                         "      ansible_python_interpreter: %s\n" % sys.executable)
    rc, message = playbook_failure("tests/playbooks/role.yml", "-i", str(inventory), "-e", "role_name=ray_node")
    assert rc != 0
    assert message.startswith("ray_node: expected exactly one host in group ray_head (found 0)"), message


def test_misspelt_workload_fields_are_named_with_the_allowed_ones(tmp_path):
    (tmp_path / "typo").mkdir()
    (tmp_path / "typo" / "workload.yml").write_text("entrypoint: python main.py\ntimout: 60\n")
    rc, message = playbook_failure("playbooks/workloads.yml", "-e", json.dumps(
        {"raybook_workloads_dir": str(tmp_path), "raybook_workloads": ["typo"]}))
    assert rc != 0
    assert message.startswith("typo/workload.yml: timout: unknown field; expected only name, description, entrypoint"), message


def test_a_workload_yml_that_is_not_yaml_is_named(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "workload.yml").write_text("entrypoint: [python main.py\n")
    rc, message = playbook_failure("playbooks/workloads.yml", "-e", json.dumps(
        {"raybook_workloads_dir": str(tmp_path), "raybook_workloads": ["broken"]}))
    assert rc != 0
    assert message.startswith("broken/workload.yml: not valid YAML (line 1") and "\n" not in message, message


def raybook(*args):
    return subprocess.run([str(VENV_BIN / "raybook"), *args], check=False, cwd=PROJECT_DIR, env={**os.environ, **runner.runner_env()},
                          capture_output=True, text=True, timeout=300)


def test_cli_with_a_missing_inventory_says_so_in_one_line():
    completed = raybook("status", "-i", "inventory/nowhere.yml")
    assert completed.returncode != 0
    assert "inventory/nowhere.yml" in completed.stderr and "Traceback" not in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1, completed.stderr


def test_cli_with_an_unknown_workload_says_so_in_one_line():
    completed = raybook("run", "no-such-workload", "-q")
    assert completed.returncode == 1
    assert completed.stderr.strip().endswith("raybook_workloads: no workload 'no-such-workload' "
                                             f"({PROJECT_DIR}/workloads/no-such-workload/workload.yml is missing)")


# The commands that read the results folder: a run or workload name is never a path out of it.
CLI_CASES = {
    "report: a run id that climbs out": (["report", "../../etc"], "error: run id: expected a folder name"),
    "report: an absolute run id": (["report", "/etc"], "error: run id: expected a folder name"),
    "report: a hidden run id": (["report", ".."], "error: run id: expected a folder name"),
    "report: compare a run that is not there": (["report", "--compare", "a", "b"], "error: no run at "),
    "report: compare with one run": (["report", "--compare", "a"], "argument --compare: expected 2 arguments"),
    "logs: a workload name that climbs out": (["logs", "../../../etc/passwd"], "error: "),
    "logs: no run at all": (["logs", "smoke", "--run", "nope"], "error: no run at "),
    "runs: an unknown flag": (["runs", "--all"], "unrecognized arguments: --all"),
    "up: check takes no value": (["up", "--check=yes"], "argument --check: ignored explicit argument 'yes'"),
}


@pytest.mark.parametrize("case", CLI_CASES, ids=list(CLI_CASES))
def test_cli_bad_input(case, tmp_path):
    args, expected = CLI_CASES[case]
    completed = raybook(*args, "--results-dir", str(tmp_path)) if args[0] != "up" else raybook(*args)
    assert completed.returncode in (1, 2)
    assert expected in completed.stderr and "Traceback" not in completed.stderr, completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1, completed.stderr
