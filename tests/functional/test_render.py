"""playbooks/render.yml: the manifests each Kubernetes inventory would apply, validated against KubeRay's real CRD
schemas (vendored in tests/fixtures/kuberay-crds, v1.2.2 and v1.7.0); the images kind preloads; and the RayCluster
filter's one-line errors on bad input."""

import json
import pathlib
import subprocess
import sys

import jsonschema
import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.raybook.ray.plugins.filter.raycluster import raycluster_manifest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CRDS = ROOT / "tests" / "fixtures" / "kuberay-crds"
KUBERAY_VERSIONS = ["v1.2.2", "v1.7.0"]


def raycluster_schema(version):
    crd = yaml.safe_load((CRDS / version / "ray.io_rayclusters.yaml").read_text())
    (served,) = [entry for entry in crd["spec"]["versions"] if entry["name"] == "v1"]
    return served["schema"]["openAPIV3Schema"]


def render(tmp_path, inventory, *extra_vars):
    out = tmp_path / "rendered"
    command = [str(pathlib.Path(sys.executable).parent / "ansible-playbook")]
    result = subprocess.run(
        [*command, "playbooks/render.yml", "-i", inventory, "-e", f"raybook_render_dir={out}", *extra_vars],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    return result, out


@pytest.fixture(scope="module")
def schemas():
    return {version: raycluster_schema(version) for version in KUBERAY_VERSIONS}


RENDER_CASES = {
    "kind": ("inventory/kind.yml", []),
    "kubernetes-example-with-gpu-group": ("inventory/kubernetes.example.yml", []),
    "guide-pair-1.2.2": ("inventory/kind.yml", ["-e", "kuberay_version=1.2.2", "-e", "ray_version=2.9.0",
                                                "-e", "raybook_auth_mode=disabled"]),
    "token-auth-through-the-environment-on-1.2.2": ("inventory/kind.yml", ["-e", "kuberay_version=1.2.2"]),
    "auth-disabled": ("inventory/kind.yml", ["-e", "raybook_auth_mode=disabled"]),
}


@pytest.mark.parametrize("case", RENDER_CASES, ids=list(RENDER_CASES))
def test_rendered_raycluster_validates_against_both_crds(tmp_path, schemas, case):
    inventory, extra = RENDER_CASES[case]
    result, out = render(tmp_path, inventory, *extra)
    assert result.returncode == 0, result.stdout[-2000:]
    manifest = yaml.safe_load((out / "raycluster.yaml").read_text())
    for version, schema in schemas.items():
        spec_fields = schema["properties"]["spec"]["properties"]
        if "authOptions" in manifest["spec"] and "authOptions" not in spec_fields:
            continue  # only rendered for KubeRay versions whose CRD has it
        jsonschema.validate(manifest, schema, cls=jsonschema.Draft7Validator)
    assert manifest["spec"]["rayVersion"] == manifest["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0][
        "image"
    ].split(":")[1].removesuffix("-gpu")


def test_kind_preloads_the_gpu_image_of_a_gpu_worker_group_and_the_image_it_is_told(tmp_path):
    groups = [{"name": "gpu", "replicas": 1, "cpu": 4, "memory": "16Gi", "gpu": 1}]
    result, out = render(tmp_path, "inventory/kind.yml", "-e", json.dumps(
        {"raycluster_worker_groups": groups, "raycluster_image": "registry.example/ray:2.60.0"}))
    assert result.returncode == 0, result.stdout[-2000:]
    assert (out / "kind-preload-images.txt").read_text().split() == [
        "registry.example/ray:2.60.0", "registry.example/ray:2.60.0-gpu", "quay.io/kuberay/operator:v1.7.0",
    ]
    manifest = yaml.safe_load((out / "raycluster.yaml").read_text())
    [worker] = manifest["spec"]["workerGroupSpecs"]
    container = worker["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example/ray:2.60.0-gpu"
    assert container["resources"]["limits"]["nvidia.com/gpu"] in (1, "1")


def test_kind_render_writes_every_file_and_maps_the_ports(tmp_path):
    result, out = render(tmp_path, "inventory/kind.yml")
    assert result.returncode == 0, result.stdout[-2000:]
    assert sorted(path.name for path in out.iterdir()) == [
        "kind-config.yaml", "kind-preload-images.txt", "kuberay-operator-values.yaml", "raycluster-head-nodeport.yaml",
        "raycluster.yaml",
    ]
    assert (out / "kind-preload-images.txt").read_text().split() == ["rayproject/ray:2.60.0", "quay.io/kuberay/operator:v1.7.0"]
    kind_config = yaml.safe_load((out / "kind-config.yaml").read_text())
    mappings = kind_config["nodes"][0]["extraPortMappings"]
    assert {(m["hostPort"], m["containerPort"], m["listenAddress"]) for m in mappings} == {
        (8265, 30265, "127.0.0.1"), (8000, 30800, "127.0.0.1"),
    }
    assert "@sha256:" in kind_config["nodes"][0]["image"]
    service = yaml.safe_load((out / "raycluster-head-nodeport.yaml").read_text())
    assert {p["nodePort"] for p in service["spec"]["ports"]} == {30265, 30800}
    values = yaml.safe_load((out / "kuberay-operator-values.yaml").read_text())
    assert values["image"] == {"repository": "quay.io/kuberay/operator", "tag": "v1.7.0"}


RAY_DIGEST, GPU_DIGEST, OPERATOR_DIGEST = ("sha256:" + c * 64 for c in "abc")
DIGESTS = json.dumps({"raycluster_image_digest": RAY_DIGEST, "raycluster_gpu_image_digest": GPU_DIGEST,
                      "kuberay_operator_image_digest": OPERATOR_DIGEST})


def test_images_pinned_by_digest_run_by_digest_on_kubernetes(tmp_path, schemas):
    result, out = render(tmp_path, "inventory/kubernetes.example.yml", "-e", DIGESTS)
    assert result.returncode == 0, result.stdout[-2000:]
    manifest = yaml.safe_load((out / "raycluster.yaml").read_text())
    images = {container["image"] for container in containers(manifest)}
    assert images == {"rayproject/ray:2.60.0@" + RAY_DIGEST, "rayproject/ray:2.60.0-gpu@" + GPU_DIGEST}
    values = yaml.safe_load((out / "kuberay-operator-values.yaml").read_text())
    assert values["image"]["tag"] == "v1.7.0@" + OPERATOR_DIGEST  # the chart writes repository:tag
    for schema in schemas.values():
        jsonschema.validate(manifest, schema)


def test_kind_preloads_images_pinned_by_digest_and_runs_them_by_tag(tmp_path):
    groups = [{"name": "gpu", "replicas": 1, "cpu": 4, "memory": "16Gi", "gpu": 1}]
    result, out = render(tmp_path, "inventory/kind.yml", "-e", DIGESTS, "-e", json.dumps({"raycluster_worker_groups": groups}))
    assert result.returncode == 0, result.stdout[-2000:]
    assert (out / "kind-preload-images.txt").read_text().split() == [
        "rayproject/ray:2.60.0@" + RAY_DIGEST, "rayproject/ray:2.60.0-gpu@" + GPU_DIGEST,
        "quay.io/kuberay/operator:v1.7.0@" + OPERATOR_DIGEST]
    manifest = yaml.safe_load((out / "raycluster.yaml").read_text())
    assert {container["image"] for container in containers(manifest)} == {"rayproject/ray:2.60.0", "rayproject/ray:2.60.0-gpu"}
    assert yaml.safe_load((out / "kuberay-operator-values.yaml").read_text())["image"]["tag"] == "v1.7.0"


def test_gpu_group_gets_gpu_limits_and_the_gpu_image(tmp_path):
    result, out = render(tmp_path, "inventory/kubernetes.example.yml")
    assert result.returncode == 0, result.stdout[-2000:]
    manifest = yaml.safe_load((out / "raycluster.yaml").read_text())
    gpu_group = next(group for group in manifest["spec"]["workerGroupSpecs"] if group["groupName"] == "gpu")
    container = gpu_group["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert container["image"].endswith("-gpu")
    assert not (out / "kind-config.yaml").exists()


def containers(manifest):
    groups = [manifest["spec"]["headGroupSpec"], *manifest["spec"]["workerGroupSpecs"]]
    return [container for group in groups for container in group["template"]["spec"]["containers"]]


def test_token_auth_by_default_through_auth_options_or_the_environment(tmp_path):
    secret = {"name": "raybook-raybook-auth", "key": "auth_token"}
    result, out = render(tmp_path, "inventory/kind.yml")
    assert result.returncode == 0, result.stdout[-2000:]
    manifest = yaml.safe_load((out / "raycluster.yaml").read_text())
    assert manifest["spec"]["authOptions"] == {"mode": "token", "secretName": secret["name"]}
    result, out = render(tmp_path, "inventory/kind.yml", "-e", "kuberay_version=1.2.2")
    manifest = yaml.safe_load((out / "raycluster.yaml").read_text())
    assert "authOptions" not in manifest["spec"]
    for container in containers(manifest):
        assert {"name": "RAY_AUTH_MODE", "value": "token"} in container["env"]
        assert {"name": "RAY_AUTH_TOKEN", "valueFrom": {"secretKeyRef": secret}} in container["env"]
    assert not list(out.glob("*secret*")), "the token never goes into a rendered file"


def test_the_guides_ray_2_9_has_no_token_auth_so_it_is_refused_until_auth_is_disabled_on_purpose(tmp_path):
    guide = ["-e", "kuberay_version=1.2.2", "-e", "ray_version=2.9.0"]
    result, out = render(tmp_path, "inventory/kind.yml", *guide)
    assert result.returncode != 0
    assert "raycluster_auth_mode: expected disabled with ray_version below 2.52.0" in result.stdout
    assert not (out / "raycluster.yaml").exists()
    result, out = render(tmp_path, "inventory/kind.yml", *guide, "-e", "raybook_auth_mode=disabled")
    assert result.returncode == 0, result.stdout[-2000:]
    manifest = yaml.safe_load((out / "raycluster.yaml").read_text())
    assert "authOptions" not in manifest["spec"] and all("env" not in c for c in containers(manifest))


def cluster(**overrides):
    base = {
        "name": "raybook", "namespace": "ray", "ray_version": "2.60.0", "kuberay_version": "1.7.0",
        "image": "rayproject/ray:2.60.0", "gpu_image": "rayproject/ray:2.60.0-gpu",
        "head": {"cpu": 1, "memory": "2Gi"},
        "worker_groups": [{"name": "cpu", "replicas": 1, "cpu": 1, "memory": "2Gi"}],
    }
    base.update(overrides)
    return base


def group(**fields):
    return {"name": "cpu", "replicas": 1, "cpu": 1, "memory": "2Gi", **fields}


BAD_CLUSTERS = {
    "group without a name": (cluster(worker_groups=[{"replicas": 1, "cpu": 1, "memory": "2Gi"}]),
                             "raycluster_worker_groups[0].name: expected a lower-case name"),
    "negative replicas": (cluster(worker_groups=[group(replicas=-1)]),
                          "raycluster_worker_groups[0].replicas: expected a whole number >= 0, got -1"),
    "min above max": (cluster(worker_groups=[group(min_replicas=3, max_replicas=2, replicas=2)]),
                      "raycluster_worker_groups[0].min_replicas: expected <= max_replicas (2), got 3"),
    "replicas outside bounds": (cluster(worker_groups=[group(replicas=5, min_replicas=1, max_replicas=2)]),
                                "raycluster_worker_groups[0].replicas: expected between min_replicas (1)"),
    "memory Kubernetes rejects": (cluster(worker_groups=[group(memory="4GB")]),
                                  "raycluster_worker_groups[0].memory: expected a positive Kubernetes quantity"),
    "zero head memory": (cluster(head={"cpu": 1, "memory": "0"}), "raycluster_head.memory: expected a positive"),
    "cpu as words": (cluster(head={"cpu": "two", "memory": "2Gi"}), "raycluster_head.cpu: expected a positive"),
    "upper-case group name": (cluster(worker_groups=[group(name="GPU")]), "raycluster_worker_groups[0].name"),
    "duplicate groups": (cluster(worker_groups=[group(), group()]), "raycluster_worker_groups: expected unique names"),
    "bad cluster name": (cluster(name="Ray_Cluster"), "raycluster_name: expected a lower-case DNS label"),
    "negative gpu": (cluster(worker_groups=[group(gpu=-1)]), "raycluster_worker_groups[0].gpu: expected a whole number"),
    "unknown auth mode": (cluster(auth_mode="basic"), "raycluster_auth_mode: expected disabled or token"),
    "token on a Ray without it": (cluster(auth_mode="token", auth_secret="s", ray_version="2.9.0"),
                                  "raycluster_auth_mode: expected disabled with ray_version below 2.52.0"),
    "auth dropped while the project asks for it": (cluster(auth_mode="disabled", required_auth_mode="token"),
                                                   "raycluster_auth_mode: expected token while raybook_auth_mode is token"),
    "ray_version as a YAML float": (cluster(ray_version=2.6), "ray_version: expected a Ray release as a quoted string X.Y.Z"),
    "ray_version latest": (cluster(ray_version="latest"), "ray_version: expected a Ray release as a quoted string X.Y.Z"),
    "image digest without its algorithm": (cluster(image_digest="a" * 64), "raycluster_image_digest: expected an image digest sha256:"),
    "gpu image digest too short": (cluster(gpu_image_digest="sha256:abc"), "raycluster_gpu_image_digest: expected an image digest"),
    "cpu request above its limit": (cluster(head={"cpu": "500m", "cpu_request": 1, "memory": "2Gi"}),
                                    "raycluster_head.cpu_request: expected at most cpu (500m), got 1"),
    "memory request above its limit": (cluster(worker_groups=[group(memory="1Gi", memory_request="2000Mi")]),
                                       "raycluster_worker_groups[0].memory_request: expected at most memory (1Gi)"),
    "cpu request not a quantity": (cluster(head={"cpu": 1, "cpu_request": "some", "memory": "2Gi"}),
                                   "raycluster_head.cpu_request: expected a positive Kubernetes quantity"),
    "storage volume with two sources": (cluster(storage_volume={"hostPath": {"path": "/a"}, "nfs": {"server": "n", "path": "/"}},
                                                storage_mount_path="/data"),
                                        "raycluster_storage_volume: expected one Kubernetes volume source"),
    "storage volume as a path": (cluster(storage_volume="/srv/ray", storage_mount_path="/data"),
                                 "raycluster_storage_volume: expected one Kubernetes volume source"),
    "relative storage mount path": (cluster(storage_volume={"hostPath": {"path": "/a"}}, storage_mount_path="data"),
                                    "raycluster_storage_mount_path: expected an absolute path"),
}


@pytest.mark.parametrize("case", BAD_CLUSTERS, ids=list(BAD_CLUSTERS))
def test_bad_cluster_fails_with_one_line_naming_the_field(case):
    spec, expected = BAD_CLUSTERS[case]
    with pytest.raises(AnsibleFilterError) as error:
        raycluster_manifest(spec)
    message = str(error.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_requests_below_the_limits_overcommit_while_ray_counts_the_limits():
    manifest = raycluster_manifest(cluster(head={"cpu": 1, "cpu_request": "250m", "memory": "2Gi"},
                                           worker_groups=[group(memory="2Gi", memory_request="1536Mi")]))
    head = manifest["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["resources"]
    assert head == {"requests": {"cpu": "250m", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
    [worker] = manifest["spec"]["workerGroupSpecs"]
    assert worker["template"]["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "1", "memory": "1536Mi"}


def test_kind_mounts_one_host_folder_into_every_node_and_every_ray_pod(tmp_path):
    result, out = render(tmp_path, "inventory/kind.yml", "-e", "kind_cluster_workers=1")
    assert result.returncode == 0, result.stdout[-2000:]
    nodes = yaml.safe_load((out / "kind-config.yaml").read_text())["nodes"]
    assert [node["extraMounts"] for node in nodes] == [
        [{"hostPath": "/var/lib/raybook/storage", "containerPath": "/var/lib/raybook-storage"}]] * 2
    manifest = yaml.safe_load((out / "raycluster.yaml").read_text())
    for template in [manifest["spec"]["headGroupSpec"]["template"]] + [
            group["template"] for group in manifest["spec"]["workerGroupSpecs"]]:
        assert template["spec"]["volumes"] == [
            {"name": "raybook-storage", "hostPath": {"path": "/var/lib/raybook-storage", "type": "DirectoryOrCreate"}}]
        assert template["spec"]["containers"][0]["volumeMounts"] == [
            {"name": "raybook-storage", "mountPath": "/tmp/raybook-storage"}]


def test_bad_inventory_value_stops_render_before_writing_anything(tmp_path):
    result, out = render(tmp_path, "inventory/kind.yml", "-e", '{"raycluster_worker_groups": [{"name": "cpu", "replicas": -2, "cpu": 1, "memory": "2Gi"}]}')
    assert result.returncode != 0
    assert "raycluster_worker_groups[0].replicas: expected a whole number >= 0, got -2" in result.stdout
    assert not (out / "raycluster.yaml").exists()


def test_the_optional_network_policy_admits_only_the_clusters_own_pods_to_the_head(tmp_path):
    result, out = render(tmp_path, "inventory/kind.yml")
    assert result.returncode == 0 and not (out / "raycluster-head-networkpolicy.yaml").exists()  # off by default
    result, out = render(tmp_path, "inventory/kind.yml", "-e", "raycluster_network_policy=true")
    assert result.returncode == 0, result.stdout[-2000:]
    policy = yaml.safe_load((out / "raycluster-head-networkpolicy.yaml").read_text())
    service = yaml.safe_load((ROOT / "roles/ray_cluster_k8s/templates/head-nodeport.yml.j2").read_text().replace(
        "{{ raycluster_name }}", "raybook").replace("{{ raycluster_namespace }}", "ray").split("ports:")[0])
    assert policy["kind"] == "NetworkPolicy" and policy["metadata"]["namespace"] == "ray"
    # The same pod the head's Service selects: KubeRay's labels of the head pod.
    assert policy["spec"]["podSelector"]["matchLabels"] == service["spec"]["selector"] == {
        "ray.io/cluster": "raybook", "ray.io/node-type": "head"}
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert policy["spec"]["ingress"] == [{"from": [
        {"podSelector": {"matchLabels": {"ray.io/cluster": "raybook"}}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kuberay-system"}}},
    ]}]


def test_a_proxy_password_stays_in_a_secret_never_in_the_raycluster(tmp_path, schemas):
    proxy = {"proxy_env": {"HTTP_PROXY": "http://bob:s3cret-pw@proxy.example:3128", "NO_PROXY": "localhost,.svc"}}
    result, out = render(tmp_path, "inventory/kind.yml", "-e", json.dumps(proxy))
    assert result.returncode == 0, result.stdout[-2000:]
    assert "s3cret-pw" not in result.stdout
    for path in out.iterdir():
        assert "s3cret-pw" not in path.read_text(), path
    manifest = yaml.safe_load((out / "raycluster.yaml").read_text())
    for container in containers(manifest):
        for name in ("HTTP_PROXY", "NO_PROXY"):
            assert {"name": name, "valueFrom": {"secretKeyRef": {"name": "raybook-raybook-proxy", "key": name}}} in container["env"]
    jsonschema.validate(manifest, schemas["v1.7.0"])  # the kind inventory's KubeRay
