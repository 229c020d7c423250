"""The ray_cluster_k8s role through real ansible-playbook runs against a Kubernetes API emulator (kmock; see
tests/kube_api.py): no API server or KubeRay operator can run on the test machine, so the emulator stands in for
the API and the test plays the operator (marking RayClusters ready, or leaving a pod Pending). kmock 0.8 cannot
parse requests for the namespaces resource itself, so the role's namespace creation is switched off here."""

import base64
import json
import pathlib
import subprocess
import sys

import pytest

from tests.conftest import TOKEN_FILE
from tests.kube_api import KubernetesApiServer

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = "tests/playbooks/raycluster.yml"


def run(kubeconfig, *extra, timeout=240):
    """ansible-playbook with the json callback: (rc, the failed task's message or '', changed count)."""
    env = {"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
           "PATH": f"{pathlib.Path(sys.executable).parent}:/usr/bin:/bin"}
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), PLAYBOOK, "-i", "inventory/local.yml",
         "-e", f"raybook_kubeconfig={kubeconfig}", "-e", "raycluster_ready_timeout=6",
         "-e", "raycluster_create_namespace=false", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )
    report = json.loads(result.stdout)
    failures = [task["hosts"]["localhost"] for play in report["plays"] for task in play["tasks"]
                if task["hosts"].get("localhost", {}).get("failed") and not task["hosts"]["localhost"].get("ignore_errors")]
    message = failures[-1].get("msg", "") if failures else ""
    return result.returncode, message, report["stats"]["localhost"]["changed"]


@pytest.fixture
def kube(tmp_path):
    with KubernetesApiServer(tmp_path / "kubeconfig") as server:
        yield server


def test_apply_waits_for_ready_then_changes_nothing_then_deletes(kube):
    kube.operator_ready = True
    token_made_now = 0 if TOKEN_FILE.exists() else 2  # the controller's token folder and file, on a fresh clone
    rc, message, changed = run(kube.kubeconfig)
    assert rc == 0, message
    assert changed == 2 + token_made_now  # the token's Secret and the RayCluster
    (cluster,) = kube.objects("rayclusters")
    (secret,) = kube.objects("secrets")
    assert base64.b64decode(secret["data"]["auth_token"]).decode() == TOKEN_FILE.read_text().strip()
    assert cluster["spec"]["authOptions"] == {"mode": "token", "secretName": secret["metadata"]["name"]}
    assert cluster["spec"]["rayVersion"] == "2.60.0"
    assert cluster["spec"]["workerGroupSpecs"][0]["groupName"] == "cpu"

    rc, message, changed = run(kube.kubeconfig)
    assert (rc, changed) == (0, 0), message

    rc, message, changed = run(kube.kubeconfig, "-e", "raycluster_state=absent")
    assert rc == 0, message
    assert changed == 2
    assert kube.objects("rayclusters") == [] and kube.objects("secrets") == []


def test_timeout_names_each_pending_pod_and_why(kube):
    kube.add("v1/pods", {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "raybook-head-abcde", "namespace": "ray",
                     "labels": {"ray.io/cluster": "raybook", "ray.io/node-type": "head"}},
        "status": {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
             "message": "0/1 nodes are available: 1 Insufficient memory."}]},
    })
    rc, message, _ = run(kube.kubeconfig)
    assert rc != 0
    assert message.startswith("raycluster ray/raybook not ready after 6s (state not set): raybook-head-abcde Pending "
                              "(0/1 nodes are available: 1 Insufficient memory.)"), message
    assert "\n" not in message


def test_bad_worker_group_fails_before_anything_is_applied(kube):
    kube.operator_ready = True
    rc, message, _ = run(kube.kubeconfig, "-e", json.dumps({"raycluster_worker_groups": [
        {"name": "cpu", "replicas": 1, "min_replicas": 3, "max_replicas": 2, "cpu": 1, "memory": "2Gi"}]}))
    assert rc != 0
    assert message == "raycluster_worker_groups[0].min_replicas: expected <= max_replicas (2), got 3"
    assert kube.objects("rayclusters") == []


def test_missing_kubeconfig_fails_with_one_line(tmp_path):
    rc, message, _ = run(tmp_path / "nowhere.kubeconfig")
    assert rc != 0
    assert message == f"raycluster_kubeconfig: {tmp_path / 'nowhere.kubeconfig'} does not exist (expected a kubeconfig file)"


def test_unreachable_api_fails_with_one_line(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "gone",
        "clusters": [{"name": "gone", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "u"}}],
    }))
    rc, message, _ = run(kubeconfig)
    assert rc != 0
    assert message.startswith(f"raycluster: the Kubernetes API {kubeconfig} did not answer:"), message
    assert "\n" not in message
