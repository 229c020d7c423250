"""Ray Train: data-parallel training of a small MLP (TorchTrainer), a checkpoint per epoch, survives lost workers."""

import argparse
import json
import socket
import tempfile
import time
from pathlib import Path

import ray
import ray.train
import torch
import torch.distributed as dist
from ray.train import Checkpoint, FailureConfig, RunConfig, ScalingConfig
from ray.train.torch import TorchTrainer, get_device, prepare_data_loader, prepare_model
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import raybook_devices
import raybook_model

RESULT_MARKER = "RAYBOOK_RESULT "
HISTORY_FILE = "history.json"
PLACEMENT_FILE = "workers.json"


def worker_placement():
    """Where each training worker runs (rank, node, device), gathered from every worker onto each of them."""
    context = ray.train.get_context()
    mine = {
        "rank": context.get_world_rank(),
        "node_ip": ray.util.get_node_ip_address(),
        "hostname": socket.gethostname(),
        "device": str(get_device()),
    }
    if context.get_world_size() == 1:
        return [mine]
    everyone = [None] * context.get_world_size()
    dist.all_gather_object(everyone, mine)
    return sorted(everyone, key=lambda worker: worker["rank"])


def train_loop(config):
    """Runs on every training worker; rank 0's report carries the checkpoint."""
    placement = worker_placement()
    features, labels = raybook_model.spirals(config["samples"], seed=config["seed"])
    loader = prepare_data_loader(
        DataLoader(TensorDataset(torch.from_numpy(features), torch.from_numpy(labels)), batch_size=config["batch_size"], shuffle=True)
    )
    model = raybook_model.build_model(seed=config["seed"])
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    history, first_epoch = [], 0
    checkpoint = ray.train.get_checkpoint()
    if checkpoint:  # a restart after a failure: carry on from the last epoch that finished
        with checkpoint.as_directory() as directory:
            model.load_state_dict(torch.load(Path(directory) / raybook_model.MODEL_FILE, map_location="cpu"))
            history = json.loads((Path(directory) / HISTORY_FILE).read_text())
            first_epoch = len(history)
    model = prepare_model(model)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(first_epoch, config["epochs"]):
        if ray.train.get_context().get_world_size() > 1:
            loader.sampler.set_epoch(epoch)
        started, total_loss, correct, seen = time.monotonic(), 0.0, 0, 0
        for batch_features, batch_labels in loader:
            optimizer.zero_grad()
            logits = model(batch_features)
            loss = loss_fn(logits, batch_labels)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(batch_labels)
            correct += (logits.argmax(dim=1) == batch_labels).sum().item()
            seen += len(batch_labels)
        metrics = {"epoch": epoch + 1, "loss": total_loss / seen, "accuracy": correct / seen, "seconds": time.monotonic() - started}
        history.append(metrics)
        with tempfile.TemporaryDirectory() as directory:
            if ray.train.get_context().get_world_rank() == 0:
                unwrapped = model.module if hasattr(model, "module") else model
                torch.save(unwrapped.state_dict(), Path(directory) / raybook_model.MODEL_FILE)
                (Path(directory) / HISTORY_FILE).write_text(json.dumps(history))
                (Path(directory) / PLACEMENT_FILE).write_text(json.dumps(placement))
                ray.train.report(metrics, checkpoint=Checkpoint.from_directory(directory))
            else:
                ray.train.report(metrics)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--workers", type=int, default=None, help="default: one per GPU, or 2 on CPUs")
    parser.add_argument("--gpus-per-worker", type=float, default=None, help="share GPUs: this much of one per worker")
    parser.add_argument("--cpus-per-worker", type=float, default=0.5)
    parser.add_argument("--max-failures", type=int, default=2)
    # SPREAD puts the workers on different nodes where it can: data parallelism across the cluster's hosts.
    parser.add_argument("--placement-strategy", default="SPREAD", choices=["SPREAD", "PACK", "STRICT_SPREAD", "STRICT_PACK"])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    ray.init()
    try:
        plan = raybook_devices.training_plan(
            ray.cluster_resources(), workers=args.workers, gpus_per_worker=args.gpus_per_worker, cpus_per_worker=args.cpus_per_worker
        )
    except ValueError as exc:
        parser.error(str(exc))
    storage = raybook_model.storage_path()
    storage.mkdir(parents=True, exist_ok=True)
    trainer = TorchTrainer(
        train_loop,
        train_loop_config={
            "epochs": args.epochs, "samples": args.samples, "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
        },
        scaling_config=ScalingConfig(
            num_workers=plan["workers"],
            use_gpu=plan["use_gpu"],
            resources_per_worker=plan["resources_per_worker"],
            placement_strategy=args.placement_strategy,
        ),
        run_config=RunConfig(
            name="raybook-train-%d" % time.time_ns(),
            storage_path=str(storage),
            failure_config=FailureConfig(max_failures=args.max_failures),
        ),
    )
    started = time.monotonic()
    result = trainer.fit()
    with result.checkpoint.as_directory() as directory:
        history = json.loads((Path(directory) / HISTORY_FILE).read_text())
        placement = json.loads((Path(directory) / PLACEMENT_FILE).read_text())
    raybook_model.save_latest(result.checkpoint.path)
    summary = {
        "epochs": len(history),
        "loss_per_epoch": [round(entry["loss"], 6) for entry in history],
        "accuracy_per_epoch": [round(entry["accuracy"], 4) for entry in history],
        "final_loss": history[-1]["loss"],
        "final_accuracy": history[-1]["accuracy"],
        "workers": plan["workers"],
        "resources_per_worker": plan["resources_per_worker"],
        # The last attempt's workers: after a lost node, where the restarted ones ran.
        "worker_placement": placement,
        "use_gpu": plan["use_gpu"],
        "dataset_rows": args.samples,
        "checkpoint": result.checkpoint.path,
        "storage_path": str(storage),
        "max_failures": args.max_failures,
        "train_seconds": round(time.monotonic() - started, 2),
    }
    print(RESULT_MARKER + json.dumps(summary, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
