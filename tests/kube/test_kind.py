"""The guide's kind flow for real, on the kube bed (extensions/kube-bed): kubectl, helm and kind installed by
k8s_tools from the bed's mirror, a kind cluster made by the real kind from a node image built here, the KubeRay
operator installed by helm from the mirror's chart repository, a RayCluster of real Ray pods with token
authentication, the guide's Step 4 job through the dashboard that kind maps to 127.0.0.1:8265, then train, infer and
serve on the pods with storage they share, then down.yml.

Everything is built from the Go module proxy and Debian's packages (nothing is pulled): see the bed's scripts. The
kind host is this machine with the bed's private dockerd. The tests run in file order."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request

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
    built = subprocess.run([str(BED), "up"], check=True, capture_output=True, text=True, timeout=3000)
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


def kind_site(overrides_path, results_dir, playbook="site.yml", workloads=("smoke",), **extravars):
    bed_vars = yaml.safe_load(PROJECT_DIR.joinpath(overrides_path).read_text())
    return run_playbook(playbook, inventory=KIND_INVENTORY, raybook_run_id=RUN_ID, raybook_workloads=list(workloads),
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
    bed_storage = yaml.safe_load(PROJECT_DIR.joinpath(overrides).read_text())["kind_cluster_extra_mounts"][0]["host_path"]
    storage = result(results_dir, "train")["storage_path"]
    assert checkpoint.startswith(storage + "/")
    assert (PROJECT_DIR / bed_storage / checkpoint.removeprefix(storage + "/")).is_dir()
    assert result(results_dir, "infer")["model"] == checkpoint
    assert result(results_dir, "serve")["matching_answers"] == result(results_dir, "serve")["answers"] > 0
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
