"""Malformed input across the modules, the roles, the playbooks and the CLI: each fails with a non-zero exit and
one line that names the field, without a traceback, before anything starts (no Ray cluster is needed: none of
these may get that far)."""

import json
import os
import subprocess
import sys

import pytest

from raybook import driver
from tests.conftest import PROJECT_DIR, VENV_BIN, ansible_env, run_module

MODULE_CASES = {
    "ray_job: address not http": ("ray_job", {"entrypoint": "true", "address": "ftp://head:8265"}, "address: expected an http(s) URL"),
    "ray_job: port out of range": ("ray_job", {"entrypoint": "true", "address": "http://head:99999"}, "address: the port in"),
    "ray_job: negative timeout": ("ray_job", {"entrypoint": "true", "timeout": -1}, "timeout: expected a number of seconds >= 0"),
    "ray_job: timeout not a number": ("ray_job", {"entrypoint": "true", "timeout": "soon"}, "argument 'timeout' is of type"),
    "ray_job: empty entrypoint": ("ray_job", {"entrypoint": "  "}, "entrypoint: expected a non-empty command"),
    "ray_job: negative CPUs": ("ray_job", {"entrypoint": "true", "entrypoint_num_cpus": -2}, "entrypoint_num_cpus: expected a number >= 0"),
    "ray_job: missing working_dir": ("ray_job", {"entrypoint": "true", "working_dir": "/no/such/dir"}, "working_dir:"),
    "ray_job: stop without an id": ("ray_job", {"state": "stopped"}, "submission_id: required with state=stopped"),
    "ray_job: unknown state": ("ray_job", {"entrypoint": "true", "state": "paused"}, "value of state must be one of"),
    "ray_job: unreadable token file": ("ray_job", {"entrypoint": "true", "auth_token_file": "/no/such/token"}, "auth_token_file: cannot read /no/such/token"),
    "ray_job_info: negative log tail": ("ray_job_info", {"log_tail_lines": -5}, "log_tail_lines: expected a number >= 0"),
    "ray_job: dashboard down (retried, then named)": ("ray_job", {"entrypoint": "true", "address": "http://127.0.0.1:9", "timeout": 3}, "Ray dashboard at http://127.0.0.1:9 unreachable after 3s"),
    "ray_cluster_info: unreachable address": ("ray_cluster_info", {"address": "http://127.0.0.1:9", "timeout": 0}, "Ray dashboard at http://127.0.0.1:9 unreachable"),
    "ray_serve: missing import_path": ("ray_serve", {"name": "app"}, "import_path"),
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
    completed = subprocess.run([str(VENV_BIN / "ansible-playbook"), *args], cwd=PROJECT_DIR, env=env,
                               capture_output=True, text=True, timeout=300)
    report = json.loads(completed.stdout)
    failed = [host for play in report["plays"] for task in play["tasks"]
              for host in task["hosts"].values() if host.get("failed") and not host.get("ignore_errors")]
    # A loop's failure says only "One or more items failed"; its failed item says why (as the CLI shows).
    messages = [next((item["msg"] for item in host.get("results", []) if item.get("failed")), host.get("msg", ""))
                for host in failed]
    message = messages[-1] if messages else completed.stderr
    return completed.returncode, driver.failure_line({"res": {"msg": message}})["msg"]


def role(name, extra):
    return ["tests/playbooks/role.yml", "-i", "inventory/local.yml", "-e", f"role_name={name}", "-e", json.dumps(extra)]


def render(extra):
    return ["playbooks/render.yml", "-i", "inventory/kind.yml", "-e", "raybook_render_dir=/tmp/raybook-bad-input", "-e", json.dumps(extra)]


def group(**fields):
    return {"name": "cpu", "replicas": 1, "cpu": 1, "memory": "2Gi", **fields}


PLAYBOOK_CASES = {
    "worker group without a name": (render({"raycluster_worker_groups": [{"replicas": 1, "cpu": 1, "memory": "2Gi"}]}), "raycluster_worker_groups"),
    "negative replicas": (render({"raycluster_worker_groups": [group(replicas=-1)]}), "raycluster_worker_groups[0].replicas: expected a whole number >= 0"),
    "min_replicas above max_replicas": (render({"raycluster_worker_groups": [group(min_replicas=3, max_replicas=1)]}), "raycluster_worker_groups[0].min_replicas: expected <= max_replicas"),
    "memory Kubernetes rejects": (render({"raycluster_head": {"cpu": 1, "memory": "4GB"}}), "raycluster_head.memory: expected a positive Kubernetes quantity"),
    "replicas not a number": (render({"raycluster_worker_groups": [group(replicas="many")]}), "replicas"),
    "proxy without a scheme": (role("proxy", {"proxy_http_proxy": "proxy.example:3128"}), "proxy_http_proxy, proxy_https_proxy: expected a URL like http://"),
    "unknown architecture": (role("k8s_tools", {"k8s_tools_arch": "sparc64"}), "k8s_tools_arch: sparc64 is not supported"),
    "tool version without a checksum": (role("k8s_tools", {"k8s_tools_kubectl_version": "1.99.0", "k8s_tools_install": ["kubectl"]}), "k8s_tools_checksums: no sha256 for kubectl 1.99.0"),
    "unpinned image for kind": (role("kind_cluster", {"kind_cluster_preload_images": ["rayproject/ray:latest"]}), "kind_cluster_preload_images: rayproject/ray:latest has no pinned tag"),
    "negative CPUs for a Ray node": (role("ray_node", {"ray_node_num_cpus": -1}), "ray_node_num_cpus"),
    "unknown platform": (["site.yml", "-e", "ray_platform=openstack"], "ray_platform one of baremetal, kind, kubernetes (got openstack)"),
    "bad run id": (["playbooks/workloads.yml", "-e", "raybook_run_id=a/b"], "raybook_run_id: expected letters, digits"),
    "render without a folder": (["playbooks/render.yml", "-i", "inventory/kind.yml"], "raybook_render_dir: expected a folder"),
}


@pytest.mark.parametrize("case", PLAYBOOK_CASES, ids=list(PLAYBOOK_CASES))
def test_playbook_bad_input(case):
    args, expected = PLAYBOOK_CASES[case]
    rc, message = playbook_failure(*args)
    assert rc != 0
    assert expected in message and "\n" not in message.strip() and "Traceback" not in message, message


def test_a_workload_yml_that_is_not_yaml_is_named(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "workload.yml").write_text("entrypoint: [python main.py\n")
    rc, message = playbook_failure("playbooks/workloads.yml", "-e", json.dumps(
        {"raybook_workloads_dir": str(tmp_path), "raybook_workloads": ["broken"]}))
    assert rc != 0
    assert message.startswith("broken/workload.yml: not valid YAML (line 1") and "\n" not in message, message


def raybook(*args):
    return subprocess.run([str(VENV_BIN / "raybook"), *args], cwd=PROJECT_DIR, env={**os.environ, **driver.runner_env()},
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
