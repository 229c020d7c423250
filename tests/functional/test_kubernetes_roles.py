"""The ray_cluster_k8s and kuberay_operator roles through real ansible-playbook runs against a Kubernetes API emulator (kmock; see
tests/kube_api.py): no API server or KubeRay operator can run on the test machine, so the emulator stands in for
the API and the test plays the operator (marking RayClusters ready, or leaving a pod Pending). kmock 0.8 cannot
parse requests for the namespaces resource itself, so the roles' namespace creation is switched off here. No chart
repository can be reached either: the operator's helm runs are answered by tests/fake_helm.py, which records them."""

import base64
import functools
import http.server
import json
import pathlib
import subprocess
import sys
import threading

import pytest

from tests.helpers import TOKEN_FILE
from tests.kube_api import KubernetesApiServer

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = "tests/playbooks/raycluster.yml"


def play(kubeconfig, *extra, playbook=PLAYBOOK, timeout=240):
    """ansible-playbook with the json callback: (rc, its report)."""
    env = {"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
           "PATH": f"{pathlib.Path(sys.executable).parent}:/usr/bin:/bin"}
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), playbook, "-i", "inventory/local.yml",
         "-e", f"raybook_kubeconfig={kubeconfig}", "-e", "raycluster_ready_timeout=6",
         "-e", "raycluster_create_namespace=false", "-e", "kuberay_operator_create_namespace=false", *extra],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )
    return result.returncode, json.loads(result.stdout)


def task_results(report):
    """(task name without its role's prefix, localhost's result) for each task that ran or was skipped."""
    return [(task["task"]["name"].split(" : ")[-1], task["hosts"]["localhost"]) for play_ in report["plays"] for task in play_["tasks"]
            if "localhost" in task["hosts"]]


def run(kubeconfig, *extra, playbook=PLAYBOOK):
    """(rc, the failed task's message or '', changed count)."""
    rc, report = play(kubeconfig, *extra, playbook=playbook)
    failures = [result for _unused, result in task_results(report) if result.get("failed") and not result.get("ignore_errors")]
    message = failures[-1].get("msg", "") if failures else ""
    return rc, message, report["stats"]["localhost"]["changed"]


@pytest.fixture
def kube(tmp_path):
    with KubernetesApiServer(tmp_path / "kubeconfig") as server:
        yield server


def test_apply_waits_for_ready_then_changes_nothing_then_deletes(kube):
    kube.operator_ready = True
    # On a fresh clone the controller's token is made now: one more change (its folder, if missing, in the same task).
    token_made_now = not TOKEN_FILE.exists()
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


def add_head_pod(kube, status):
    """The cluster's head pod as the kubelet reports it, in `status` (a controller made it: nothing plays one here)."""
    kube.add("v1/pods", {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "raybook-head-abcde", "namespace": "ray",
                     "labels": {"ray.io/cluster": "raybook", "ray.io/node-type": "head"}},
        "status": status,
    })


def test_timeout_names_each_pending_pod_and_why(kube):
    add_head_pod(kube, {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
         "message": "0/1 nodes are available: 1 Insufficient memory."}]})
    rc, message, _unused = run(kube.kubeconfig)
    assert rc != 0
    assert message.startswith("raycluster ray/raybook not ready after 6s (state not set): raybook-head-abcde Pending "
                              "(0/1 nodes are available: 1 Insufficient memory.)"), message
    assert "\n" not in message


def test_a_user_rbac_denies_is_told_before_anything_is_made(kube):
    kube.api.denied = {"create rayclusters.ray.io"}
    rc, message, changed = run(kube.kubeconfig)
    assert rc != 0
    assert message == ("the kubeconfig's user (%s) may not create rayclusters.ray.io in namespace ray (RBAC)"
                       % kube.kubeconfig), message
    assert (changed, kube.objects("rayclusters"), kube.objects("secrets")) == (0, [], [])


def test_a_pod_that_cannot_start_ends_the_wait_and_the_cluster_this_run_made_goes(kube):
    add_head_pod(kube, {"phase": "Pending", "containerStatuses": [
        {"name": "ray-head", "image": "rayproject/ray:2.60.0", "ready": False, "restartCount": 0,
         "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}]})
    rc, message, _unused = run(kube.kubeconfig, "-e", "raycluster_ready_timeout=600")
    assert rc != 0
    assert message == ("raycluster ray/raybook cannot start (state not set): raybook-head-abcde ImagePullBackOff "
                       "(image rayproject/ray:2.60.0); the RayCluster this run made was deleted"), message
    assert kube.objects("rayclusters") == [] and kube.objects("secrets") == []


def test_bad_worker_group_fails_before_anything_is_applied(kube):
    kube.operator_ready = True
    rc, message, _unused = run(kube.kubeconfig, "-e", json.dumps({"raycluster_worker_groups": [
        {"name": "cpu", "replicas": 1, "min_replicas": 3, "max_replicas": 2, "cpu": 1, "memory": "2Gi"}]}))
    assert rc != 0
    assert message == "raycluster_worker_groups[0].min_replicas: expected <= max_replicas (2), got 3"
    assert kube.objects("rayclusters") == []


def test_missing_kubeconfig_fails_with_one_line(tmp_path):
    rc, message, _unused = run(tmp_path / "nowhere.kubeconfig")
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
    rc, message, _unused = run(kubeconfig)
    assert rc != 0
    assert message.startswith(f"raycluster: the Kubernetes API {kubeconfig} did not answer:"), message
    assert "\n" not in message


OPERATOR_PLAYBOOK = "tests/playbooks/kuberay_operator.yml"
OPERATOR_DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "kuberay-operator", "namespace": "kuberay-system"},
    "status": {"conditions": [{"type": "Available", "status": "True"}]},
}


class FakeHelm:
    """tests/fake_helm.py behind an executable, with its releases and the commands it was given."""

    def __init__(self, folder):
        self.state = folder / "helm-state.json"
        self.binary = folder / "helm"
        self.binary.write_text(f"#!/bin/sh\nexec {sys.executable} {ROOT / 'tests' / 'fake_helm.py'} {self.state} \"$@\"\n")
        self.binary.chmod(0o755)

    def releases(self):
        return json.loads(self.state.read_text())["releases"] if self.state.exists() else {}

    def calls(self, verb):
        calls = json.loads(self.state.read_text())["calls"] if self.state.exists() else []
        return [call for call in calls if f" {verb} " in f" {call} "]

    def preinstall(self, name="kuberay-operator"):
        """A release installed by someone else, as helm would list it."""
        subprocess.run([str(self.binary), "upgrade", "-i", name, "kuberay-operator"], check=True,
                       env={"HELM_NAMESPACE": "kuberay-system"})


def run_operator(kube, helm, *extra):
    """(rc, {task name: result}, changed count) of the kuberay_operator role against the emulator and the fake helm."""
    rc, report = play(kube.kubeconfig, "-e", f"kuberay_operator_helm_binary={helm.binary}",
                      "-e", f"kuberay_operator_chart_repo_url={helm.repo_url}", *extra, playbook=OPERATOR_PLAYBOOK)
    return rc, dict(task_results(report)), report["stats"]["localhost"]["changed"]


@pytest.fixture
def chart_repo(tmp_path):
    """A chart repository's index on 127.0.0.1, listing the operator's chart at the version the role installs."""
    folder = tmp_path / "charts"
    folder.mkdir()
    (folder / "index.yaml").write_text(json.dumps({
        "apiVersion": "v1", "entries": {"kuberay-operator": [{"name": "kuberay-operator", "version": "1.7.0"}]}}))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture
def helm(tmp_path, kube, chart_repo):
    kube.add("apps/v1/deployments", OPERATOR_DEPLOYMENT)  # what the chart would run
    fake = FakeHelm(tmp_path)
    fake.repo_url = chart_repo
    return fake


def owner_claims(kube):
    return [config_map["data"] for config_map in kube.objects("configmaps")
            if config_map["metadata"]["name"] == "kuberay-operator-raybook-owner"]


def test_operator_installed_by_raybook_is_claimed_kept_and_removed(kube, helm):
    rc, tasks, changed = run_operator(kube, helm)
    assert rc == 0, tasks
    assert owner_claims(kube) == [{"owner": "raybook ray/raybook", "release": "kuberay-operator"}]
    release = helm.releases()["kuberay-operator"]
    assert release["values"]["image"] == {"repository": "quay.io/kuberay/operator", "tag": "v1.7.0"}
    assert release["listing"]["chart"] == "kuberay-operator-1.7.0"
    assert changed == 2  # the claim and the release

    rc, tasks, changed = run_operator(kube, helm)
    assert (rc, changed) == (0, 0), tasks
    assert len(helm.calls("upgrade")) == 1

    rc, tasks, changed = run_operator(kube, helm, "-e", "kuberay_operator_state=absent")
    assert (rc, changed) == (0, 2), tasks
    assert helm.releases() == {} and owner_claims(kube) == []
    assert tasks["Say that the operator is left in place"].get("skipped")


def test_a_chart_version_the_repository_lacks_is_refused_before_anything_is_made(kube, helm):
    rc, tasks, changed = run_operator(kube, helm, "-e", "kuberay_version=1.9.9")
    assert (rc, changed) != (0, 0)
    [failure] = [result for result in tasks.values() if result.get("failed")]
    assert failure["msg"] == ("kuberay_operator_version: 1.9.9 is not in the chart repository %s "
                              "(kuberay-operator there: 1.7.0)" % helm.repo_url)
    assert (changed, owner_claims(kube), helm.calls("upgrade")) == (0, [], [])


def test_operator_someone_else_installed_is_used_as_is_and_left_in_place(kube, helm):
    helm.preinstall()
    rc, tasks, changed = run_operator(kube, helm)
    assert (rc, changed) == (0, 0), tasks
    assert tasks["Say that the operator belongs to someone else and is used as it is"]["msg"] == (
        "kuberay_operator: release kuberay-system/kuberay-operator was installed by someone outside raybook; "
        "raybook uses it as it is (no upgrade) and will not remove it")
    assert len(helm.calls("upgrade")) == 1 and owner_claims(kube) == []  # only the other owner's install

    rc, tasks, changed = run_operator(kube, helm, "-e", "kuberay_operator_state=absent")
    assert (rc, changed) == (0, 0), tasks
    assert tasks["Say that the operator is left in place"]["msg"] == (
        "kuberay_operator: left release kuberay-system/kuberay-operator in place: installed by someone outside raybook, "
        "not by this inventory (raybook ray/raybook); kuberay_operator_force_removal=true removes it anyway")
    assert "kuberay-operator" in helm.releases() and helm.calls("uninstall") == []

    rc, tasks, changed = run_operator(kube, helm, "-e", "kuberay_operator_state=absent",
                                      "-e", "kuberay_operator_force_removal=true")
    assert (rc, changed) == (0, 1), tasks
    assert helm.releases() == {}


def test_operator_another_inventory_claimed_is_left_to_it(kube, helm):
    rc, tasks, _unused = run_operator(kube, helm, "-e", "raycluster_name=team-a")
    assert rc == 0, tasks
    rc, tasks, changed = run_operator(kube, helm, "-e", "raycluster_name=team-b", "-e", "kuberay_operator_state=absent")
    assert (rc, changed) == (0, 0), tasks
    assert "installed by raybook ray/team-a, not by this inventory (raybook ray/team-b)" in (
        tasks["Say that the operator is left in place"]["msg"])
    assert "kuberay-operator" in helm.releases()
    assert owner_claims(kube) == [{"owner": "raybook ray/team-a", "release": "kuberay-operator"}]
