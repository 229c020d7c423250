"""A Kubernetes API for tests, at the HTTP contract: kmock's in-memory emulator served on 127.0.0.1 from a
background thread, reached through a kubeconfig by the kubernetes client and kubernetes.core's modules, which run
unchanged in ansible-playbook's subprocesses. No real API server can run on the test machine, so this stands in
for one: it does not validate schemas (tests validate manifests against KubeRay's CRDs instead), and it has no
KubeRay operator: `play_operator` marks RayClusters ready the way the operator would."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid

import kmock
from aiohttp import web
from kmock._internal import apps, enums

RAYCLUSTERS = "ray.io/v1/rayclusters"


class KubernetesApi(kmock.KubernetesEmulator):
    """kmock 0.8's emulator with four gaps filled for the kubernetes client: /version/ with a trailing slash,
    list responses with their kind, created objects with uid, namespace and resourceVersion, and RBAC's
    SelfSubjectAccessReview, which allows everything but `denied` ("verb plural.group" strings)."""

    denied: set = set()

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.fallback["get /version/"] << self._serve_server_version

    async def _handle(self, request):
        if request.action == enums.action.CREATE and request.resource and request.resource.plural == "selfsubjectaccessreviews":
            asked = request.data["spec"]["resourceAttributes"]
            resource = ".".join(part for part in (asked.get("resource"), asked.get("group")) if part)
            return web.json_response({**request.data, "status": {"allowed": f"{asked.get('verb')} {resource}" not in self.denied}})
        if request.action == enums.action.CREATE and isinstance(request.data, dict):
            metadata = request.data.setdefault("metadata", {})
            metadata.setdefault("uid", str(uuid.uuid4()))
            metadata.setdefault("resourceVersion", "1")
            metadata.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
            if request.namespace:
                metadata.setdefault("namespace", request.namespace)
        return await super()._handle(request)

    async def _serve_list(self, request):
        payload = await super()._serve_list(request)
        resource = request.resource
        kind = self.resources[resource].kind or "Object"
        group_version = f"{resource.group}/{resource.version}" if resource.group else resource.version
        return {"apiVersion": group_version, "kind": f"{kind}List", **payload}


class KubernetesApiServer:
    """Serves KubernetesApi in a thread; `kubeconfig` is a file pointing at it. Use as a context manager."""

    def __init__(self, kubeconfig_path):
        self.kubeconfig = kubeconfig_path
        self.api: KubernetesApi | None = None
        self.operator_ready = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self):
        async with KubernetesApi() as api, apps.Server(api) as server:
            api.resources.load_bundled()
            api.resources[RAYCLUSTERS] = {
                "namespaced": True, "kind": "RayCluster", "singular": "raycluster",
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"], "subresources": ["status"],
            }
            self.api, self._loop = api, asyncio.get_running_loop()
            self._write_kubeconfig(str(server.url).rstrip("/"))
            self._started.set()
            while not self._stop.is_set():
                if self.operator_ready:
                    self._mark_rayclusters_ready()
                await asyncio.sleep(0.2)

    def _write_kubeconfig(self, url):
        self.kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "mock",
            "clusters": [{"name": "mock", "cluster": {"server": url}}],
            "users": [{"name": "tester", "user": {"token": "test"}}],
            "contexts": [{"name": "mock", "context": {"cluster": "mock", "user": "tester"}}],
        }))

    def _mark_rayclusters_ready(self):
        for key in list(self.api.objects):
            if key[0].plural == "rayclusters":
                obj = self.api.objects[key]
                if not obj.deleted and (obj.get("status") or {}).get("state") != "ready":
                    obj.patch({"status": {"state": "ready"}})

    def objects(self, plural):
        """The live objects of a resource, as plain dicts."""
        return [self.api.objects[key].raw for key in list(self.api.objects)
                if key[0].plural == plural and not self.api.objects[key].deleted]

    def add(self, resource, obj):
        """Stores an object as if a controller had created it (e.g. a pod that stays Pending)."""
        key = (resource, obj["metadata"].get("namespace"), obj["metadata"]["name"])
        asyncio.run_coroutine_threadsafe(self._add(key, obj), self._loop).result(5)

    async def _add(self, key, obj):
        self.api.objects[key] = obj

    def __enter__(self):
        self._thread.start()
        if not self._started.wait(30):
            raise RuntimeError("the Kubernetes API emulator did not start")
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)
