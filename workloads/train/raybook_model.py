"""The model, the data and the checkpoint layout that the train, infer and serve workloads share.

The data set is generated deterministically: three interleaved spirals in the plane, one class each.
A small MLP learns to tell them apart. The infer and serve folders link to this file.
"""

import json
import math
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

NUM_CLASSES = 3
FEATURES = 2
MODEL_FILE = "model.pt"
LATEST_FILE = "latest.json"


def storage_path():
    """Where checkpoints and the latest model live: RAYBOOK_STORAGE_PATH, shared by every node that needs it."""
    return Path(os.environ.get("RAYBOOK_STORAGE_PATH", "/tmp/raybook-storage"))


def spirals(samples, seed):
    """`samples` points of three noisy spirals, as float32 features and int64 labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, samples)
    radius = rng.uniform(0.1, 1.0, samples)
    angle = radius * 3 * math.pi + labels * 2 * math.pi / NUM_CLASSES + rng.normal(0, 0.15, samples)
    features = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return features.astype(np.float32), labels.astype(np.int64)


def build_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(FEATURES, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, NUM_CLASSES))


def save_latest(checkpoint_dir):
    """Record the newest trained model, for infer and serve to find."""
    latest = storage_path() / LATEST_FILE
    latest.parent.mkdir(parents=True, exist_ok=True)
    temporary = latest.with_suffix(".tmp")
    temporary.write_text(json.dumps({"checkpoint": str(checkpoint_dir)}))
    temporary.replace(latest)


def latest_checkpoint():
    """The folder of the newest trained model, or None when train never ran here."""
    latest = storage_path() / LATEST_FILE
    if not latest.is_file():
        return None
    checkpoint = json.loads(latest.read_text())["checkpoint"]
    return checkpoint if (Path(checkpoint) / MODEL_FILE).is_file() else None


def load_latest_model():
    """The newest trained model and its folder, or a fresh (untrained) model and None when train never ran."""
    model = build_model()
    checkpoint = latest_checkpoint()
    if checkpoint:
        model.load_state_dict(torch.load(Path(checkpoint) / MODEL_FILE, map_location="cpu"))
    model.eval()
    return model, checkpoint


def model_device(model):
    return next(model.parameters()).device


def predict(model, features):
    """Class predictions for the features, computed where the model is (its GPU, or the CPU)."""
    with torch.no_grad():
        inputs = torch.as_tensor(features, dtype=torch.float32).to(model_device(model))
        return model(inputs).argmax(dim=1).cpu().numpy()
