"""Ray Data batch inference: an actor pool runs the trained model over generated rows (map_batches)."""

import argparse
import json
import time

import numpy as np
import ray

import raybook_model

RESULT_MARKER = "RAYBOOK_RESULT "


class Classifier:
    """One per actor: loads the newest trained model once, then classifies batches."""

    def __init__(self, use_gpu):
        self.model, self.source = raybook_model.load_latest_model()
        self.device = "cuda" if use_gpu else "cpu"
        self.model.to(self.device)

    def __call__(self, batch):
        features = np.stack([batch["x"], batch["y"]], axis=1)
        batch["prediction"] = raybook_model.predict(self.model, features)
        return batch


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
    use_gpu = ray.cluster_resources().get("GPU", 0) >= 1
    features, labels = raybook_model.spirals(args.rows, seed=args.seed)
    rows = ray.data.from_items(
        [{"x": float(x), "y": float(y), "label": int(label)} for (x, y), label in zip(features, labels)]
    )
    started = time.monotonic()
    predicted = rows.map_batches(
        Classifier,
        fn_constructor_kwargs={"use_gpu": use_gpu},
        batch_size=args.batch_size,
        batch_format="numpy",
        concurrency=args.actors,
        num_gpus=1 if use_gpu else 0,
        num_cpus=None if use_gpu else args.cpus_per_actor,
    ).to_pandas()
    seconds = time.monotonic() - started
    _, source = raybook_model.load_latest_model()
    correct = int((predicted["prediction"] == predicted["label"]).sum())
    samples = predicted.head(5)
    result = {
        "rows": len(predicted),
        "rows_expected": args.rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(len(predicted) / seconds, 1),
        "accuracy": round(correct / len(predicted), 4),
        "actors": args.actors,
        "use_gpu": use_gpu,
        "model": source or "untrained (no checkpoint from train)",
        "samples": [
            {"x": round(row.x, 4), "y": round(row.y, 4), "label": int(row.label), "prediction": int(row.prediction)}
            for row in samples.itertuples()
        ],
    }
    print(RESULT_MARKER + json.dumps(result, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
