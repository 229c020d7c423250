"""The guide's kind flow for real, on the kube bed (extensions/kube-bed): kubectl, helm and kind installed by
k8s_tools from the bed's mirror, a kind cluster made by the real kind from a node image built here, the KubeRay
operator installed by helm from the mirror's chart repository, a RayCluster of real Ray pods with token
authentication, the guide's Step 4 job through the dashboard that kind maps to 127.0.0.1:8265, then train, infer and
serve on the pods with storage they share, then down.yml.

Everything is built from the Go module proxy and Debian's packages (nothing is pulled): see the bed's scripts. The
kind host is this machine with the bed's private dockerd. The tests run in file order."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.helpers import PROJECT_DIR, run_playbook, total

BED = PROJECT_DIR / "extensions" / "kube-bed" / "bed.sh"
KIND_INVENTORY = PROJECT_DIR / "inventory" / "kind.yml"
RUN_ID = "kube"
RUN = os.environ.get("RAYBOOK_TEST_RUN", "/run/raybook-test")


def missing_tools():
    if os.geteuid() != 0:
        return "needs root (a private dockerd, debootstrap and kind's privileged nodes)"
    for tool in ("go", "dockerd", "debootstrap", "gcc"):
        if not shutil.which(tool):
            return f"{tool} is not installed (.ci/run installs what the bed needs)"
    return None


REASON = missing_tools()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def overrides():
    os.environ.setdefault("DOCKER_HOST", f"unix://{RUN}/docker.sock")
    built = subprocess.run([str(BED), "up"], check=False, capture_output=True, text=True, timeout=3000)
    assert built.returncode == 0, "bed.sh up failed: " + built.stderr[-3000:]
    yield built.stdout.strip().splitlines()[-1]
    subprocess.run([str(BED), "down"], check=False, timeout=600)


def bed_tool(overrides_path, name, *args):
    """Run one of the tools k8s_tools installed for the bed (kubectl, kind) and return its output."""
    bin_dir = PROJECT_DIR.joinpath(overrides_path).parent / "bin"
    env = {**os.environ, "KUBECONFIG": os.path.expanduser("~/.kube/config")}
    return subprocess.run([str(bin_dir / name), *args], check=False, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    """This module's own results: a run id's results at home count as done, and would skip its workloads."""
    return tmp_path_factory.mktemp("kube-results")


def kind_site(overrides_path, results_dir, playbook="site.yml", workloads=("smoke",), run_id=RUN_ID, **extravars):
    bed_vars = yaml.safe_load(PROJECT_DIR.joinpath(overrides_path).read_text())
    return run_playbook(playbook, inventory=KIND_INVENTORY, raybook_run_id=run_id, raybook_workloads=list(workloads),
                        raybook_results_dir=str(results_dir), **bed_vars, **extravars)


def result(results_dir, workload):
    return json.loads((results_dir / RUN_ID / workload / "result.json").read_text())


def test_site_brings_up_the_guides_flow_and_runs_every_workload_on_the_pods(overrides, results_dir):
    outcome = kind_site(overrides, results_dir, workloads=("smoke", "train", "infer", "serve"))
    assert outcome.ok, outcome.failures
    summary = json.loads((results_dir / RUN_ID / "summary.json").read_text())
    assert [(w["workload"], w["status"]) for w in summary["workloads"]] == [
        ("smoke", "SUCCEEDED"), ("train", "SUCCEEDED"), ("infer", "SUCCEEDED"), ("serve", "SUCCEEDED"),
    ]
    # Train's workers spread over the head and the worker pod; its checkpoint is on the storage every pod mounts
    # (a folder of the kind host, through the node), where infer and serve found the model.
    placement = result(results_dir, "train")["worker_placement"]
    assert any("-worker-" in worker["hostname"] for worker in placement), placement
    checkpoint = result(results_dir, "train")["checkpoint"]
    storage = result(results_dir, "train")["storage_path"]
    assert checkpoint.startswith(storage + "/")
    assert (bed_storage(overrides) / checkpoint.removeprefix(storage + "/")).is_dir()
    assert result(results_dir, "infer")["model"] == checkpoint
    assert result(results_dir, "serve")["matching_answers"] == result(results_dir, "serve")["answers"] > 0
    assert "train" in (results_dir / RUN_ID / "report.html").read_text()
    nodes = json.loads(bed_tool(overrides, "kubectl", "get", "nodes", "-o", "json").stdout)["items"]
    assert [n["metadata"]["name"] for n in nodes] == ["raybook-control-plane"]
    cluster = json.loads(bed_tool(overrides, "kubectl", "-n", "ray", "get", "raycluster", "raybook", "-o", "json").stdout)
    assert cluster["status"]["state"] == "ready"
    pods = json.loads(bed_tool(overrides, "kubectl", "-n", "ray", "get", "pods", "-o", "json").stdout)["items"]
    assert sorted(p["metadata"]["labels"]["ray.io/node-type"] for p in pods) == ["head", "worker"]
    assert all(p["status"]["phase"] == "Running" for p in pods)
    # Token authentication is on: the dashboard kind maps to the host refuses a request without the token.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen("http://127.0.0.1:8265/api/jobs/", timeout=10)
    assert refused.value.code in (401, 403)


def test_second_site_changes_nothing(overrides, results_dir):
    outcome = kind_site(overrides, results_dir)
    assert outcome.ok, outcome.failures
    assert total(outcome, "changed") == 0, outcome.hosts


def bed_storage(overrides_path):
    """The kind host's folder that every node and Ray pod mounts as the workloads' storage."""
    return Path(yaml.safe_load(PROJECT_DIR.joinpath(overrides_path).read_text())["kind_cluster_extra_mounts"][0]["host_path"])


def train_with_a_pod_deleted(overrides_path, results_dir, run_id, node_type):
    """Run train alone (workloads.yml) and, once its first checkpoint is on the shared storage, delete the kind
    platform's pod of `node_type` (head or worker); return the run's outcome and the deleted pod's uid."""
    storage = bed_storage(overrides_path)
    before = set(storage.glob("raybook-train-*"))
    outcome = {}
    job = threading.Thread(target=lambda: outcome.update(run=kind_site(
        overrides_path, results_dir, playbook="playbooks/workloads.yml", workloads=("train",), run_id=run_id)))
    job.start()
    deadline = time.monotonic() + 300
    while not any(run.glob("checkpoint_*") for run in set(storage.glob("raybook-train-*")) - before):
        assert time.monotonic() < deadline and job.is_alive(), "train never wrote its first checkpoint"
        time.sleep(0.5)
    [pod] = kubectl_json(overrides_path, "-n", "ray", "get", "pods", "-l", f"ray.io/node-type={node_type}")["items"]
    bed_tool(overrides_path, "kubectl", "-n", "ray", "delete", "pod", pod["metadata"]["name"], "--wait=false")
    job.join(timeout=900)
    return outcome["run"], pod["metadata"]["uid"]


def test_a_worker_pod_deleted_mid_train_is_survived_from_the_checkpoint(overrides, results_dir):
    run, deleted = train_with_a_pod_deleted(overrides, results_dir, "worker-lost", "worker")
    assert run.ok, run.failures
    trained = json.loads((results_dir / "worker-lost" / "train" / "result.json").read_text())
    assert trained["epochs"] == 10
    # It carried on from its last checkpoint: one checkpoint per epoch, none trained again from the start.
    run_folder = bed_storage(overrides) / Path(trained["checkpoint"]).parent.name
    assert len([path for path in run_folder.glob("checkpoint_*") if path.is_dir()]) == 10
    # KubeRay made a new worker pod in its place.
    [worker] = kubectl_json(overrides, "-n", "ray", "get", "pods", "-l", "ray.io/node-type=worker")["items"]
    assert worker["metadata"]["uid"] != deleted


def test_a_head_pod_deleted_mid_train_names_the_lost_job_and_site_converges_again(overrides, results_dir):
    run, deleted = train_with_a_pod_deleted(overrides, results_dir, "head-lost", "head")
    message = one_line_failure(run)
    assert "raybook-head-lost-train" in message, message
    rerun = kind_site(overrides, results_dir)
    assert rerun.ok, rerun.failures
    [head] = kubectl_json(overrides, "-n", "ray", "get", "pods", "-l", "ray.io/node-type=head")["items"]
    assert head["metadata"]["uid"] != deleted
    assert kubectl_json(overrides, "-n", "ray", "get", "raycluster", "raybook")["status"]["state"] == "ready"


TENANT_INVENTORY = PROJECT_DIR / "inventory" / "kubernetes.example.yml"
TENANT = "tenant"


def tenant_site(overrides_path, results_dir, playbook="site.yml", **extravars):
    """The kubernetes platform (a cluster it did not make, reached with a kubeconfig only), in a namespace of its own
    on the bed's cluster, beside the kind platform's RayCluster and using the operator that one installed."""
    bed_vars = yaml.safe_load(PROJECT_DIR.joinpath(overrides_path).read_text())
    tenant = {
        "raybook_kube_context": "kind-raybook",
        "raycluster_namespace": TENANT,
        "raycluster_head": {"cpu": 1, "cpu_request": "250m", "memory": "3Gi"},
        # The example's GPU group at no replicas: the real API server takes its render, and no pod waits for a GPU.
        "raycluster_worker_groups": [{"name": "gpu", "replicas": 0, "min_replicas": 0, "max_replicas": 1, "cpu": 1,
                                      "memory": "2Gi", "gpu": 1}],
        "raycluster_autoscaling": False,
        "raycluster_network_policy": True,
    }
    return run_playbook(playbook, inventory=TENANT_INVENTORY, raybook_run_id=TENANT, raybook_workloads=["smoke"],
                        raybook_results_dir=str(results_dir), **{**bed_vars, **tenant, **extravars})


def kubectl_json(overrides_path, *args):
    answer = bed_tool(overrides_path, "kubectl", *args, "-o", "json")
    return json.loads(answer.stdout) if answer.returncode == 0 else None


def kind_platform_state(overrides_path):
    """What the kubernetes platform must never touch: the kind platform's RayCluster, its pods, the operator."""
    cluster = kubectl_json(overrides_path, "-n", "ray", "get", "raycluster", "raybook")
    pods = kubectl_json(overrides_path, "-n", "ray", "get", "pods")["items"]
    operator = kubectl_json(overrides_path, "-n", "kuberay-system", "get", "deployment", "kuberay-operator")
    return (cluster["metadata"]["uid"], cluster["metadata"]["generation"], sorted(p["metadata"]["uid"] for p in pods),
            operator["metadata"]["uid"], operator["metadata"]["generation"])


def one_line_failure(outcome):
    assert not outcome.ok
    message = outcome.failures[0]["msg"]
    assert "\n" not in message, message
    return message


def test_the_kubernetes_platform_works_in_its_own_namespace_beside_a_raycluster_it_never_touches(overrides, results_dir):
    before = kind_platform_state(overrides)
    outcome = tenant_site(overrides, results_dir)
    assert outcome.ok, outcome.failures
    summary = json.loads((results_dir / TENANT / "summary.json").read_text())
    assert [(w["workload"], w["status"]) for w in summary["workloads"]] == [("smoke", "SUCCEEDED")]
    cluster = kubectl_json(overrides, "-n", TENANT, "get", "raycluster", "raybook")
    assert cluster["status"]["state"] == "ready"
    [gpu_group] = cluster["spec"]["workerGroupSpecs"]
    assert gpu_group["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    # The API server took the NetworkPolicy; the bed's bridge CNI does not enforce policies (docs/platforms/kind.md).
    assert kubectl_json(overrides, "-n", TENANT, "get", "networkpolicy", "raybook-head") is not None
    assert kind_platform_state(overrides) == before

    down = tenant_site(overrides, results_dir, playbook="playbooks/down.yml")
    assert down.ok, down.failures
    assert kubectl_json(overrides, "-n", TENANT, "get", "raycluster", "raybook") is None
    # The operator the kind platform installed stays, and so does its RayCluster, untouched.
    assert kind_platform_state(overrides) == before
    again = tenant_site(overrides, results_dir, playbook="playbooks/down.yml")
    assert again.ok and total(again, "changed") == 0, again.hosts


def test_a_chart_version_the_repository_lacks_is_refused_before_anything_is_made(overrides, results_dir):
    outcome = tenant_site(overrides, results_dir, playbook="playbooks/cluster.yml", kuberay_version="1.9.9",
                          kuberay_operator_namespace="kuberay-tenant")
    message = one_line_failure(outcome)
    assert message.startswith("kuberay_operator_version: 1.9.9 is not in the chart repository "), message
    assert message.endswith("(kuberay-operator there: 1.5.0)"), message
    assert kubectl_json(overrides, "get", "namespace", "kuberay-tenant") is None


@pytest.mark.parametrize("case", ["an image no node has", "a head too small to start"])
def test_a_raycluster_that_cannot_start_is_named_and_not_left_behind(overrides, results_dir, case):
    bad = {"an image no node has": {"raycluster_image": "rayproject/ray:2.60.0-absent"},
           "a head too small to start": {"raycluster_head": {"cpu": 1, "cpu_request": "250m", "memory": "128Mi"}}}[case]
    outcome = tenant_site(overrides, results_dir, playbook="playbooks/cluster.yml", **bad)
    message = one_line_failure(outcome)
    # Too small a head either is OOM-killed or, below what Ray's object store needs, exits at once: either way it
    # keeps failing.
    expected = {"an image no node has": r"raybook-head-\w+ ImagePullBackOff \(image rayproject/ray:2\.60\.0-absent\)",
                "a head too small to start": r"raybook-head-\w+ (OOMKilled|CrashLoopBackOff)"}[case]
    assert message.startswith(f"raycluster {TENANT}/raybook cannot start") and re.search(expected, message), message
    assert message.endswith("the RayCluster this run made was deleted"), message
    assert kubectl_json(overrides, "-n", TENANT, "get", "raycluster", "raybook") is None


def test_a_user_rbac_denies_is_told_before_anything_is_made(overrides, results_dir, tmp_path):
    """A service account that may only view the namespace, in a kubeconfig of its own."""
    kubectl = functools.partial(bed_tool, overrides, "kubectl", "-n", TENANT)
    kubectl("create", "serviceaccount", "viewer")
    kubectl("create", "rolebinding", "viewer", "--clusterrole=view", f"--serviceaccount={TENANT}:viewer")
    token = kubectl("create", "token", "viewer").stdout.strip()
    admin = kubectl_json(overrides, "config", "view", "--raw", "--minify", "--context", "kind-raybook")
    kubeconfig = tmp_path / "viewer.kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "viewer", "clusters": admin["clusters"],
        "users": [{"name": "viewer", "user": {"token": token}}],
        "contexts": [{"name": "viewer", "context": {"cluster": admin["clusters"][0]["name"], "user": "viewer"}}],
    }))
    kubeconfig.chmod(0o600)
    outcome = tenant_site(overrides, results_dir, playbook="playbooks/cluster.yml", raybook_kubeconfig=str(kubeconfig),
                          raybook_kube_context="viewer")
    assert one_line_failure(outcome) == (
        f"the kubeconfig's user (viewer) may not create rayclusters.ray.io, patch rayclusters.ray.io, create secrets "
        f"in namespace {TENANT} (RBAC)")
    assert kubectl_json(overrides, "-n", TENANT, "get", "secrets", "raybook-raybook-auth") is None


def test_down_removes_the_raycluster_the_operator_and_the_kind_cluster(overrides, results_dir):
    outcome = kind_site(overrides, results_dir, playbook="playbooks/down.yml")
    assert outcome.ok, outcome.failures
    assert "raybook" not in bed_tool(overrides, "kind", "get", "clusters").stdout.split()
    containers = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], check=True, capture_output=True, text=True)
    assert "raybook-control-plane" not in containers.stdout.split()
    contexts = bed_tool(overrides, "kubectl", "config", "get-contexts", "-o", "name").stdout.split()
    assert "kind-raybook" not in contexts
    again = kind_site(overrides, results_dir, playbook="playbooks/down.yml")
    assert again.ok and total(again, "changed") == 0, again.hosts
