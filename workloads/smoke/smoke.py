"""The guide's Step 4 job: connect to the cluster and print its resources."""

import json

import ray

RESULT_MARKER = "RAYBOOK_RESULT "


def main():
    ray.init()
    resources = ray.cluster_resources()
    print(resources)
    alive = [node for node in ray.nodes() if node["Alive"]]
    result = {
        "cluster_resources": {name: value for name, value in resources.items() if not name.startswith("node:")},
        "nodes_alive": len(alive),
        "ray_version": ray.__version__,
    }
    print(RESULT_MARKER + json.dumps(result, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
