"""kind_cluster's preload through real ansible-playbook runs, with docker and kind answered by
tests/fake_kind_host.py: no kind cluster can run on the test machine and no registry can be reached. An image
pinned by digest must be pulled by that digest, tagged, loaded by tag, and the node's copy must carry the same
image ID as the verified one; a second run changes nothing; a node (or host tag) holding another build is
corrected."""

import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
DIGEST = "sha256:" + "a" * 64
RAY, OPERATOR = "rayproject/ray:2.60.0", "quay.io/kuberay/operator:v1.7.0"
VERIFIED_ID, OPERATOR_ID, OTHER_BUILD = "sha256:" + "1" * 64, "sha256:" + "2" * 64, "sha256:" + "9" * 64


class KindHost:
    def __init__(self, folder):
        self.folder = folder
        self.state_file = folder / "state.json"
        self.state_file.write_text(json.dumps({
            "registry": {"rayproject/ray@" + DIGEST: VERIFIED_ID},
            "host": {OPERATOR: OPERATOR_ID}, "node": {}, "clusters": [], "calls": [],
        }))
        for tool in ("docker", "kind"):
            script = folder / tool
            script.write_text(f"#!/bin/sh\nexec {sys.executable} {ROOT / 'tests' / 'fake_kind_host.py'} {self.state_file} {tool} \"$@\"\n")
            script.chmod(0o755)

    @property
    def state(self):
        return json.loads(self.state_file.read_text())

    def change(self, part, name, image_id):
        state = self.state
        state[part][name] = image_id
        self.state_file.write_text(json.dumps(state))

    def calls_since(self, count):
        return self.state["calls"][count:]

    def run_role(self):
        """(rc, changed count) of the kind_cluster role."""
        extra = {"role_name": "kind_cluster", "kind_cluster_docker_bin": str(self.folder / "docker"),
                 "kind_cluster_kind_bin": str(self.folder / "kind"), "kind_cluster_config_dir": str(self.folder / "config"),
                 "kind_cluster_preload_images": [f"{RAY}@{DIGEST}", OPERATOR]}
        result = subprocess.run(
            [str(BIN / "ansible-playbook"), "tests/playbooks/role.yml", "-i", "inventory/kind.yml", "-e", json.dumps(extra)],
            check=False, cwd=ROOT, capture_output=True, text=True, timeout=300,
            env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
                 "PATH": f"{BIN}:/usr/bin:/bin"},
        )
        report = json.loads(result.stdout)
        return result.returncode, sum(host["changed"] for host in report["stats"].values())


@pytest.fixture
def host(tmp_path):
    return KindHost(tmp_path)


def test_an_image_pinned_by_digest_is_pulled_by_it_loaded_by_tag_and_checked_in_the_node(host):
    rc, changed = host.run_role()
    assert rc == 0
    calls = host.state["calls"]
    assert f"docker pull rayproject/ray@{DIGEST}" in calls
    assert f"docker tag rayproject/ray@{DIGEST} {RAY}" in calls
    assert f"kind load docker-image --name raybook {RAY}" in calls
    assert f"kind load docker-image --name raybook {OPERATOR}" in calls
    assert not any(call.startswith("docker pull quay.io") for call in calls)  # the host had it
    assert host.state["node"] == {RAY: VERIFIED_ID, OPERATOR: OPERATOR_ID}

    before = len(host.state["calls"])
    rc, changed = host.run_role()
    assert (rc, changed) == (0, 0)
    assert not [call for call in host.calls_since(before) if call.split()[1] in ("pull", "tag", "load")]


def test_another_build_under_the_same_tag_is_replaced_by_the_verified_one(host):
    assert host.run_role()[0] == 0
    host.change("host", RAY, OTHER_BUILD)  # someone built or pulled another image under the tag
    host.change("node", RAY, OTHER_BUILD)
    before = len(host.state["calls"])
    rc, changed = host.run_role()
    assert (rc, changed) == (0, 2)
    assert host.calls_since(before).count(f"docker tag rayproject/ray@{DIGEST} {RAY}") == 1
    assert host.state["host"][RAY] == VERIFIED_ID and host.state["node"][RAY] == VERIFIED_ID
