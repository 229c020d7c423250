"""The collection as `ansible-galaxy collection build` makes it: what a user installs, and nothing of this
workplace (the controller's token and ansible-runner records in .raybook/, lint exceptions, CI files); installed
with its dependencies where only ansible-core is (no `ansible` bundle), its playbooks resolve."""

import os
import subprocess
import sys
import sysconfig
import tarfile
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.helpers import build_collection

# Galaxy cannot be reached here: the dependencies come from the `ansible` bundle's copies, as local folders.
BUNDLED = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    return build_collection(tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="module")
def tarball_names(tarball):
    with tarfile.open(tarball) as archive:
        return {member.name for member in archive.getmembers() if member.isfile()}


def test_the_tarball_ships_the_docs_the_readme_links_to_and_the_changelog(tarball_names):
    for name in ("README.md", "LICENSE", "CHANGELOG.md", "changelogs/changelog.yaml", "docs/README.md",
                 "docs/security.md", "docs/reference/modules.md", "meta/runtime.yml", "plugins/modules/ray_job_batch.py",
                 "workloads/smoke/workload.yml", "workloads/train/train.py"):
        assert name in tarball_names


def test_the_tarball_holds_nothing_of_this_workplace(tarball_names):
    tops = {name.split("/")[0] for name in tarball_names}
    assert not tops & {".raybook", ".github", ".ansible-lint", ".ansible-lint-ignore", ".venv", "results", "raybook",
                       "bench", "collections", "extensions"}
    assert "docs/generate_reference.py" not in tarball_names
    shipped_tests = {name for name in tarball_names if name.startswith("tests/")}
    assert shipped_tests == {"tests/sanity/ignore-%s.txt" % core for core in ("2.17", "2.18", "2.19")}


def test_with_ansible_core_alone_the_installed_collection_and_its_dependencies_resolve_every_playbook(tarball, tarball_names, tmp_path):
    core = tmp_path / "core"
    subprocess.run([sys.executable, "-m", "venv", str(core)], check=True, timeout=300)
    subprocess.run([str(core / "bin" / "pip"), "install", "--quiet", "ansible-core==" + version("ansible-core")],
                   check=True, capture_output=True, timeout=600)
    requirements = tmp_path / "requirements.yml"
    requirements.write_text("collections:\n  - {name: %s, type: file}\n  - {name: %s, type: dir}\n  - {name: %s, type: dir}\n"
                            % (tarball, BUNDLED / "kubernetes" / "core", BUNDLED / "ansible" / "posix"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env["ANSIBLE_COLLECTIONS_PATH"] = str(tmp_path / "collections")
    subprocess.run([str(core / "bin" / "ansible-galaxy"), "collection", "install", "--offline", "-r", str(requirements),
                    "-p", str(tmp_path / "collections")], check=True, capture_output=True, env=env, cwd=tmp_path, timeout=300)
    # playbooks/tasks/ holds task files the playbooks include, as Ansible's collection layout has it.
    playbooks = sorted(name[len("playbooks/"):-len(".yml")] for name in tarball_names
                       if name.startswith("playbooks/") and name.endswith(".yml") and name.count("/") == 1)
    assert "cluster" in playbooks and "down" in playbooks
    for playbook in playbooks:
        checked = subprocess.run([str(core / "bin" / "ansible-playbook"), "--syntax-check", "raybook.ray." + playbook,
                                  "-i", "localhost,"], check=False, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
        assert checked.returncode == 0, "raybook.ray.%s: %s" % (playbook, checked.stderr.strip().splitlines()[-1:])
