"""Ray Data batch inference: an actor pool runs the trained model over generated rows (map_batches)."""

import argparse
import json
import time

import numpy as np
import ray

import raybook_devices
import raybook_model

RESULT_MARKER = "RAYBOOK_RESULT "


class Classifier:
    """One per actor: loads the newest trained model once onto the actor's GPU (if Ray gave it one), then classifies
    batches there; each row says where it was classified."""

    def __init__(self):
        self.model, self.source = raybook_model.load_latest_model()
        self.model.to("cuda" if ray.get_gpu_ids() else "cpu")
        self.device = str(raybook_model.model_device(self.model))
        self.node_ip = ray.util.get_node_ip_address()
        self.actor = ray.get_runtime_context().get_actor_id()[:8]

    def __call__(self, batch):
        began = time.time()
        features = np.stack([batch["x"], batch["y"]], axis=1)
        batch["prediction"] = raybook_model.predict(self.model, features)
        batch["device"] = np.full(len(features), self.device)
        batch["node_ip"] = np.full(len(features), self.node_ip)
        # When and how fast each batch ran, and on which actor: the report plots rows/s over time.
        batch["actor"] = np.full(len(features), self.actor)
        batch["batch_began"] = np.full(len(features), began)
        batch["batch_seconds"] = np.full(len(features), time.time() - began)
        return batch


def accuracy_per_class(predicted):
    """{label: share of that label's rows predicted right}, labels as strings (JSON keys)."""
    right = predicted["prediction"] == predicted["label"]
    return {str(label): round(float(share), 4) for label, share in right.groupby(predicted["label"]).mean().items()}


def batch_timeline(predicted, began_wall):
    """Each batch, in the order it started: the actor that ran it, seconds into the job, rows and rows/s."""
    batches = predicted.groupby(["actor", "batch_began", "batch_seconds"]).size().reset_index(name="rows")
    return [
        {
            "actor": row.actor,
            "at_s": round(row.batch_began - began_wall, 3),
            "rows": int(row.rows),
            "rows_per_s": round(row.rows / max(row.batch_seconds, 1e-6), 1),
        }
        for row in batches.sort_values("batch_began").itertuples()
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--cpus-per-actor", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    ray.init()
    ray.data.DataContext.get_current().enable_progress_bars = False
    plan = raybook_devices.inference_plan(ray.cluster_resources(), actors=args.actors, cpus_per_actor=args.cpus_per_actor)
    features, labels = raybook_model.spirals(args.rows, seed=args.seed)
    rows = ray.data.from_items(
        [{"x": float(x), "y": float(y), "label": int(label)} for (x, y), label in zip(features, labels)]
    )
    began_wall, started = time.time(), time.monotonic()
    predicted = rows.map_batches(
        Classifier,
        batch_size=args.batch_size,
        batch_format="numpy",
        concurrency=plan["actors"],
        num_gpus=plan["num_gpus"],
        num_cpus=plan["num_cpus"],
    ).to_pandas()
    seconds = time.monotonic() - started
    _unused, source = raybook_model.load_latest_model()
    correct = int((predicted["prediction"] == predicted["label"]).sum())
    samples = predicted.head(5)
    result = {
        "rows": len(predicted),
        "rows_expected": args.rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(len(predicted) / seconds, 1),
        "accuracy": round(correct / len(predicted), 4),
        "actors": plan["actors"],
        "use_gpu": plan["num_gpus"] > 0,
        # Where the rows were classified: each actor's node and device, with its share of the rows.
        "devices": [
            {"node_ip": node_ip, "device": device, "rows": int(rows)}
            for (node_ip, device), rows in predicted.groupby(["node_ip", "device"]).size().items()
        ],
        "accuracy_per_class": accuracy_per_class(predicted),
        "batches": batch_timeline(predicted, began_wall),
        "model": source or "untrained (no checkpoint from train)",
        "samples": [
            {"x": round(row.x, 4), "y": round(row.y, 4), "label": int(row.label), "prediction": int(row.prediction)}
            for row in samples.itertuples()
        ],
    }
    print(RESULT_MARKER + json.dumps(result, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
