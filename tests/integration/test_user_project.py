"""A user's own project: the built collection installed in a folder of its own, an inventory, group_vars and one
workload outside this repository, and no ansible.cfg. `ansible-playbook raybook.ray.site` brings up Ray on this
machine from the roles' defaults alone and runs the user's workload; the token and the results land in the user's
project, never in the installed collection."""

import json
import os
import re
import stat
import subprocess
import sys

import pytest

from tests.helpers import VENV_BIN, build_collection

INVENTORY = """\
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: {python}
    ray_node_venv: {venv}
    raybook_ray_python: {python}
  children:
    ray_head:
      hosts:
        localhost:
          ray_node_ip: 127.0.0.1
"""
GROUP_VARS = """\
raybook_workloads: [hello]
raybook_workloads_dir: "{{{{ raybook_project_dir }}}}/workloads"
raybook_storage_path: {storage}
"""
WORKLOAD = """\
name: hello
entrypoint: python hello.py
timeout: 120
"""
DRIVER = """\
import json
import ray

ray.init()
print("RAYBOOK_RESULT " + json.dumps({"greeting": "hello from the user's project", "cpus": ray.cluster_resources()["CPU"]}))
"""


@pytest.fixture(scope="module")
def user_project(tmp_path_factory):
    """The project folder, and the environment of a user who installed the collection there (no ANSIBLE_* of this
    repository's, so neither its ansible.cfg nor its collections/ folder is seen)."""
    root = tmp_path_factory.mktemp("user")
    collections = root / "collections"
    project = root / "project"
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), RAY_USAGE_STATS_ENABLED="0", PWD=str(project),
               PATH=str(VENV_BIN) + os.pathsep + env["PATH"])
    # Its dependencies (kubernetes.core, ansible.posix) are the `ansible` bundle's in this venv: Galaxy cannot be
    # reached here. tests/functional/test_collection.py installs them beside it with ansible-core alone.
    subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "--offline",
                    str(build_collection(tmp_path_factory.mktemp("build"))), "-p", str(collections)],
                   check=True, capture_output=True, env=env, cwd=root, timeout=300)
    (project / "inventory" / "group_vars").mkdir(parents=True)
    (project / "inventory" / "hosts.yml").write_text(INVENTORY.format(python=sys.executable, venv=VENV_BIN.parent))
    (project / "inventory" / "group_vars" / "all.yml").write_text(GROUP_VARS.format(storage=root / "storage"))
    (project / "workloads" / "hello").mkdir(parents=True)
    (project / "workloads" / "hello" / "workload.yml").write_text(WORKLOAD)
    (project / "workloads" / "hello" / "hello.py").write_text(DRIVER)
    return project, collections, env


def run_site(user_project):
    project, _collections, env = user_project
    return subprocess.run([str(VENV_BIN / "ansible-playbook"), "raybook.ray.site", "-i", "inventory/hosts.yml"],
                          check=False, capture_output=True, text=True, env=env, cwd=project, timeout=1200)


def changed_counts(completed):
    return [int(count) for count in re.findall(r"changed=(\d+)", completed.stdout)]


@pytest.fixture(scope="module")
def first_run(user_project):
    return run_site(user_project)


def test_site_from_the_installed_collection_runs_the_users_workload(first_run, user_project):
    project, _collections, _env = user_project
    assert first_run.returncode == 0, first_run.stdout[-3000:] + first_run.stderr
    summary = json.loads((project / "results" / "site" / "summary.json").read_text())
    assert [(w["workload"], w["status"]) for w in summary["workloads"]] == [("hello", "SUCCEEDED")]
    result = json.loads((project / "results" / "site" / "hello" / "result.json").read_text())
    assert result["greeting"] == "hello from the user's project" and result["cpus"] >= 1


def test_the_token_lives_in_the_users_project_and_nothing_is_written_into_the_collection(first_run, user_project):
    project, collections, _env = user_project
    assert first_run.returncode == 0
    token = project / ".raybook" / "auth_token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600 and len(token.read_text().strip()) == 48
    installed = collections / "ansible_collections" / "raybook" / "ray"
    assert not (installed / "results").exists() and not (installed / ".raybook").exists()
    assert not list(installed.rglob("*.retry"))


def test_a_second_run_changes_nothing(first_run, user_project):
    assert first_run.returncode == 0
    second = run_site(user_project)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    assert changed_counts(second) and set(changed_counts(second)) == {0}, second.stdout[-3000:] + second.stderr
