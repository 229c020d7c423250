"""The guide's Step 4 job: connect to the cluster and print its resources."""

import json

import ray

RESULT_MARKER = "RAYBOOK_RESULT "


def node_summary(node):
    """A node as the report shows it: address, head or worker, CPUs, GPUs and their model, memory."""
    resources = node["Resources"]
    models = [name.split(":", 1)[1] for name in resources if name.startswith("accelerator_type:")]
    return {
        "node_ip": node["NodeManagerAddress"],
        "hostname": node.get("NodeManagerHostname"),
        "is_head": "node:__internal_head__" in resources,
        "cpus": resources.get("CPU", 0),
        "gpus": resources.get("GPU", 0),
        "gpu_model": models[0] if models else None,
        "memory_bytes": int(resources.get("memory", 0)),
    }


def main():
    ray.init()
    resources = ray.cluster_resources()
    print(resources)
    alive = [node for node in ray.nodes() if node["Alive"]]
    result = {
        "cluster_resources": {name: value for name, value in resources.items() if not name.startswith("node:")},
        "nodes_alive": len(alive),
        "nodes": [node_summary(node) for node in alive],
        "ray_version": ray.__version__,
    }
    print(RESULT_MARKER + json.dumps(result, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
