"""The Ray Serve application: the trained spiral classifier behind HTTP (POST {"points": [[x, y], ...]})."""

import ray
from ray import serve
from starlette.requests import Request

import raybook_devices
import raybook_model


@serve.deployment
class SpiralClassifier:
    def __init__(self):
        self.device = "cuda" if ray.get_gpu_ids() else "cpu"
        self.model, self.source = self.load()

    def load(self):
        model, source = raybook_model.load_latest_model()
        return model.to(self.device), source

    async def __call__(self, request: Request):
        # Train may have saved a newer model since this replica started: serve that one.
        if raybook_model.latest_checkpoint() != self.source:
            self.model, self.source = self.load()
        points = (await request.json())["points"]
        return {
            "predictions": raybook_model.predict(self.model, points).tolist(),
            "model": self.source,
            "device": str(raybook_model.model_device(self.model)),
            "node_ip": ray.util.get_node_ip_address(),
        }


def cluster_resources():
    """The cluster's resources, from wherever the application is imported: Serve's own build task (connected
    already) or a driver that calls serve.run (which connects first, as serve.run would)."""
    if not ray.is_initialized():
        ray.init()
    return ray.cluster_resources()


# A share of a GPU for each replica when the cluster has one.
app = SpiralClassifier.options(ray_actor_options=raybook_devices.serve_actor_options(cluster_resources())).bind()
