# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""The raycluster_manifest filter: a RayCluster manifest from typed inventory variables, checked field by field."""

from __future__ import annotations

DOCUMENTATION = r"""
name: raycluster_manifest
short_description: Render a KubeRay RayCluster from raybook's typed variables
version_added: "0.1.0"
description:
  - >-
    Builds a C(ray.io/v1) RayCluster from a mapping of the C(raycluster_*) variables, after checking them: a worker
    group needs a C(name), replica counts are whole numbers C(>= 0) with C(min_replicas <= replicas <= max_replicas),
    CPU and memory are Kubernetes quantities (the limits, and the requests unless C(cpu_request) or
    C(memory_request) ask for less), C(gpu) adds C(nvidia.com/gpu) limits.
  - Each problem fails with one line naming the variable and the field, before anything is applied.
  - >-
    Token authentication (C(auth_mode=token), Ray 2.52.0 and later) reads the token from the Secret C(auth_secret)
    (key C(auth_token)): through the CRD's C(authOptions) where KubeRay has them (1.7.0 and later), else through
    C(RAY_AUTH_MODE) and C(RAY_AUTH_TOKEN) on every Ray container.
options:
  _input:
    description: >-
      The cluster: C(name), C(namespace), C(ray_version), C(kuberay_version), C(image), C(gpu_image), C(head)
      (C(cpu), C(memory), C(cpu_request), C(memory_request)), C(worker_groups) (list of C(name), C(replicas),
      C(min_replicas), C(max_replicas), C(cpu), C(memory), C(cpu_request), C(memory_request), C(gpu), C(image)),
      C(autoscaling), C(env), C(auth_mode) (C(disabled) or C(token)), C(auth_secret), C(image_digest) and
      C(gpu_image_digest) (C(sha256:...), appended to the images as C(name:tag@sha256:...) unless
      C(image_digests_in_spec) is false, as on kind, which loads images by tag), C(storage_volume) (one Kubernetes
      volume source, such as C(hostPath) or C(persistentVolumeClaim), mounted in every Ray container at
      C(storage_mount_path): the storage that train, infer and serve share).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Render the RayCluster
  ansible.builtin.set_fact:
    manifest: >-
      {{ {'name': 'raybook', 'namespace': 'ray', 'ray_version': '2.60.0', 'kuberay_version': '1.7.0',
          'image': 'rayproject/ray:2.60.0', 'head': {'cpu': 1, 'memory': '2Gi'},
          'worker_groups': [{'name': 'cpu', 'replicas': 1, 'cpu': 1, 'memory': '2Gi'}]}
         | raybook.ray.raycluster_manifest }}
"""

RETURN = r"""
_value:
  description: The RayCluster manifest.
  type: dict
"""

import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.compat.version import LooseVersion

# Kubernetes' own quantity grammar (resource.Quantity), as the CRDs' patterns spell it.
QUANTITY = re.compile(
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
QUANTITY_SUFFIXES = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
                     **{suffix + "i": 1024 ** (power + 1) for power, suffix in enumerate("KMGTPE")}}
# A DNS-1123 label: what a worker group's name becomes part of (pod names).
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
HEAD_PORTS = {"gcs-server": 6379, "dashboard": 8265, "client": 10001, "serve": 8000}
FIRST_KUBERAY_WITH_AUTH_OPTIONS = "1.7.0"
FIRST_RAY_WITH_TOKEN_AUTH = "2.52.0"
IMAGE_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
RELEASE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
AUTH_TOKEN_KEY = "auth_token"
STORAGE_VOLUME = "raybook-storage"


def _fail(field, expected, value):
    raise AnsibleFilterError(f"{field}: expected {expected}, got {value!r}")


def _quantity(field, value):
    text = str(value).strip() if isinstance(value, (int, float, str)) and not isinstance(value, bool) else None
    if not text or not QUANTITY.match(text) or text.startswith("-") or float(re.sub(r"[^0-9.].*$", "", text) or 0) <= 0:
        _fail(field, "a positive Kubernetes quantity like 2, 500m, 4Gi or 512Mi", value)
    return text


def _count(field, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(field, "a whole number >= 0", value)
    return value


def _amount(quantity):
    """A quantity's value as a number (2 -> 2, 500m -> 0.5, 1Gi -> 1073741824), to compare requests with limits."""
    match = re.match(r"^([0-9.]+)(.*)$", quantity)
    number, suffix = float(match.group(1)), match.group(2)
    if suffix[:1] in ("e", "E"):
        return number * 10 ** float(suffix[1:])
    return number * QUANTITY_SUFFIXES[suffix]


def _resources(field, spec, gpu=0):
    limits = {"cpu": _quantity(f"{field}.cpu", spec.get("cpu")), "memory": _quantity(f"{field}.memory", spec.get("memory"))}
    requests = dict(limits)
    for name in ("cpu", "memory"):
        if spec.get(f"{name}_request") is not None:
            request = _quantity(f"{field}.{name}_request", spec[f"{name}_request"])
            if _amount(request) > _amount(limits[name]):
                _fail(f"{field}.{name}_request", f"at most {name} ({limits[name]})", spec[f"{name}_request"])
            requests[name] = request
    if gpu:
        limits["nvidia.com/gpu"] = requests["nvidia.com/gpu"] = str(gpu)
    return {"requests": requests, "limits": limits}


def _storage(cluster):
    """The shared storage volume and its mount, or (None, None) when the cluster has none."""
    source = cluster.get("storage_volume")
    if not source:
        return None, None
    if not isinstance(source, dict) or len(source) != 1 or not isinstance(next(iter(source.values())), dict):
        _fail("raycluster_storage_volume", "one Kubernetes volume source, such as {hostPath: {path: /srv/ray}} or "
              "{persistentVolumeClaim: {claimName: ray-storage}}", source)
    path = cluster.get("storage_mount_path")
    if not isinstance(path, str) or not path.startswith("/") or "/../" in path + "/":
        _fail("raycluster_storage_mount_path", "an absolute path in the Ray containers", path)
    return {"name": STORAGE_VOLUME, **source}, {"name": STORAGE_VOLUME, "mountPath": path}


def _pod_template(container_name, image, resources, env, ports=None, storage=(None, None)):
    container = {"name": container_name, "image": image, "imagePullPolicy": "IfNotPresent", "resources": resources}
    if env:
        container["env"] = [
            {"name": name, "valueFrom": value} if isinstance(value, dict) else {"name": name, "value": str(value)}
            for name, value in sorted(env.items())
        ]
    if ports:
        container["ports"] = [{"name": name, "containerPort": port} for name, port in ports.items()]
    volume, mount = storage
    if volume:
        container["volumeMounts"] = [mount]
        return {"spec": {"containers": [container], "volumes": [volume]}}
    return {"spec": {"containers": [container]}}


def _worker_group(index, group, cluster):
    field = f"raycluster_worker_groups[{index}]"
    if not isinstance(group, dict):
        _fail(field, "a mapping with name, replicas, cpu, memory", group)
    name = group.get("name")
    if not isinstance(name, str) or not DNS_LABEL.match(name):
        _fail(f"{field}.name", "a lower-case name of letters, digits and '-' (a DNS label)", name)
    replicas = _count(f"{field}.replicas", group.get("replicas", 1))
    min_replicas = _count(f"{field}.min_replicas", group.get("min_replicas", replicas))
    max_replicas = _count(f"{field}.max_replicas", group.get("max_replicas", max(replicas, min_replicas)))
    if min_replicas > max_replicas:
        _fail(f"{field}.min_replicas", f"<= max_replicas ({max_replicas})", min_replicas)
    if not min_replicas <= replicas <= max_replicas:
        _fail(f"{field}.replicas", f"between min_replicas ({min_replicas}) and max_replicas ({max_replicas})", replicas)
    gpu = _count(f"{field}.gpu", group.get("gpu", 0))
    image = group.get("image") or (cluster["gpu_image"] if gpu else cluster["image"])
    return {
        "groupName": name,
        "replicas": replicas,
        "minReplicas": min_replicas,
        "maxReplicas": max_replicas,
        "rayStartParams": {},
        "template": _pod_template("ray-worker", image, _resources(field, group, gpu), cluster.get("env") or {},
                                  storage=_storage(cluster)),
    }


def _pin_images(cluster):
    """The cluster with its images pinned by digest (name:tag@sha256:...), where digests are given and belong in the
    spec; each digest checked."""
    pinned = dict(cluster)
    for key, digest_key, variable in (("image", "image_digest", "raycluster_image_digest"),
                                      ("gpu_image", "gpu_image_digest", "raycluster_gpu_image_digest")):
        digest = cluster.get(digest_key) or ""
        if digest and not IMAGE_DIGEST.match(str(digest)):
            _fail(variable, "an image digest sha256:<64 lower-case hex digits>", digest)
        if digest and cluster.get("image_digests_in_spec", True) and cluster.get(key):
            pinned[key] = "%s@%s" % (cluster[key], digest)
    return pinned


def raycluster_manifest(cluster):
    """The RayCluster for `cluster` (the raycluster_* variables), or one AnsibleFilterError naming the bad field."""
    for key, variable in (("name", "raycluster_name"), ("namespace", "raycluster_namespace")):
        if not isinstance(cluster.get(key), str) or not DNS_LABEL.match(cluster[key]):
            _fail(variable, "a lower-case DNS label (letters, digits, '-')", cluster.get(key))
    head = cluster.get("head")
    if not isinstance(head, dict):
        _fail("raycluster_head", "a mapping with cpu and memory", head)
    groups = cluster.get("worker_groups") or []
    if not isinstance(groups, list):
        _fail("raycluster_worker_groups", "a list of worker groups", groups)
    names = [group.get("name") for group in groups if isinstance(group, dict)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        _fail("raycluster_worker_groups", "unique names", duplicates[0])
    ray_version = cluster.get("ray_version")
    if not isinstance(ray_version, str) or not RELEASE.match(ray_version):
        # An unquoted 2.60 in YAML is the float 2.6: it would render rayproject/ray:2.6.
        _fail("ray_version", "a Ray release as a quoted string X.Y.Z, such as '2.60.0'", ray_version)
    auth_mode = cluster.get("auth_mode", "disabled")
    if auth_mode not in ("disabled", "token"):
        _fail("raycluster_auth_mode", "disabled or token", auth_mode)
    if cluster.get("required_auth_mode", auth_mode) == "token" and auth_mode != "token":
        _fail("raycluster_auth_mode", "token while raybook_auth_mode is token (set raybook_auth_mode: disabled to run "
              "the cluster without authentication on purpose)", auth_mode)
    cluster = _pin_images(cluster)
    auth_options = None
    if auth_mode == "token":
        if LooseVersion(str(cluster["ray_version"])) < LooseVersion(FIRST_RAY_WITH_TOKEN_AUTH):
            _fail("raycluster_auth_mode", "disabled with ray_version below %s (no token authentication; set "
                  "raybook_auth_mode: disabled to run it without on purpose)" % FIRST_RAY_WITH_TOKEN_AUTH, auth_mode)
        secret = cluster.get("auth_secret")
        if not isinstance(secret, str) or not DNS_LABEL.match(secret):
            _fail("raycluster_auth_secret", "the name of the Secret holding the token", secret)
        if LooseVersion(str(cluster["kuberay_version"])) >= LooseVersion(FIRST_KUBERAY_WITH_AUTH_OPTIONS):
            auth_options = {"mode": "token", "secretName": secret}
        else:  # KubeRay without authOptions: Ray reads the same Secret through its environment
            cluster = dict(cluster, env={**(cluster.get("env") or {}), "RAY_AUTH_MODE": "token",
                                         "RAY_AUTH_TOKEN": {"secretKeyRef": {"name": secret, "key": AUTH_TOKEN_KEY}}})

    spec = {
        "rayVersion": str(cluster["ray_version"]),
        "enableInTreeAutoscaling": bool(cluster.get("autoscaling", False)),
        "headGroupSpec": {
            # Inside the pod network; the host reaches it only through the mapped port or a port-forward.
            "rayStartParams": {"dashboard-host": "0.0.0.0"},
            "template": _pod_template(
                "ray-head", cluster["image"], _resources("raycluster_head", head), cluster.get("env") or {}, HEAD_PORTS,
                _storage(cluster),
            ),
        },
        "workerGroupSpecs": [_worker_group(index, group, cluster) for index, group in enumerate(groups)],
    }
    if auth_options:
        spec["authOptions"] = auth_options
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {
            "name": cluster["name"],
            "namespace": cluster["namespace"],
            "labels": {"app.kubernetes.io/managed-by": "raybook"},
        },
        "spec": spec,
    }


class FilterModule:
    def filters(self):
        return {"raycluster_manifest": raycluster_manifest}
