"""How the train, infer and serve workloads use the cluster: GPUs whenever it has any, the CPU otherwise.

Each plan is worked out from Ray's cluster_resources() alone (a dict such as {"CPU": 16.0, "GPU": 1.0}), so it
can be tested without a cluster. The infer and serve folders link to this file.
"""

# GPUs are counted as whole devices with a little slack: Ray's totals are floats (0.9999... after fractions).
EPSILON = 1e-6
# What one Serve replica asks for when the cluster has a GPU: a share, so that it never takes a whole device.
SERVE_GPU_SHARE = 0.25


def cluster_gpus(resources):
    return max(0.0, float(resources.get("GPU", 0) or 0))


def training_plan(resources, workers=None, gpus_per_worker=None, cpus_per_worker=0.5, cpu_workers=2):
    """Ray Train's workers: one per GPU (at most `workers` when given), or `gpus_per_worker` shares of the GPUs, or
    a single worker on a fraction of one GPU; without GPUs, `workers` (else `cpu_workers`) on CPUs."""
    gpus = cluster_gpus(resources)
    if gpus <= 0:
        return {"workers": workers or cpu_workers, "use_gpu": False, "resources_per_worker": {"CPU": cpus_per_worker}}
    if gpus_per_worker:
        fit = int(gpus / gpus_per_worker + EPSILON)
        if fit < 1:
            raise ValueError("gpus_per_worker %s: the cluster has only %s GPU" % (gpus_per_worker, gpus))
        count, share = (min(workers, fit) if workers else fit), gpus_per_worker
    elif gpus < 1 - EPSILON:
        count, share = 1, gpus
    else:
        whole = int(gpus + EPSILON)
        count, share = (min(workers, whole) if workers else whole), 1
    return {"workers": count, "use_gpu": True, "resources_per_worker": {"CPU": cpus_per_worker, "GPU": share}}


def inference_plan(resources, actors=2, cpus_per_actor=0.5):
    """Ray Data's actor pool: an actor per GPU (at most `actors`), one actor on a fraction of a GPU, or `actors` on
    CPUs."""
    gpus = cluster_gpus(resources)
    if gpus <= 0:
        return {"actors": actors, "num_gpus": 0, "num_cpus": cpus_per_actor}
    if gpus < 1 - EPSILON:
        return {"actors": 1, "num_gpus": gpus, "num_cpus": cpus_per_actor}
    return {"actors": min(actors, int(gpus + EPSILON)), "num_gpus": 1, "num_cpus": cpus_per_actor}


def serve_actor_options(resources, num_cpus=0.25):
    """A Serve replica's ray_actor_options: a share of a GPU when the cluster has one."""
    gpus = cluster_gpus(resources)
    options = {"num_cpus": num_cpus}
    if gpus > 0:
        options["num_gpus"] = min(SERVE_GPU_SHARE, gpus)
    return options
