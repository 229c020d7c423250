"""The Ray Serve application: the trained spiral classifier behind HTTP (POST {"points": [[x, y], ...]})."""

from ray import serve
from starlette.requests import Request

import raybook_model


@serve.deployment(ray_actor_options={"num_cpus": 0.25})
class SpiralClassifier:
    def __init__(self):
        self.model, self.source = raybook_model.load_latest_model()

    async def __call__(self, request: Request):
        # Train may have saved a newer model since this replica started: serve that one.
        if raybook_model.latest_checkpoint() != self.source:
            self.model, self.source = raybook_model.load_latest_model()
        points = (await request.json())["points"]
        return {"predictions": raybook_model.predict(self.model, points).tolist(), "model": self.source}


app = SpiralClassifier.bind()
