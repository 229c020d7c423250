"""GPU verification: a Ray task with num_gpus=1 on every GPU node reports CUDA, its devices and a matmul timing."""

import json
import sys
import time

import ray

RESULT_MARKER = "RAYBOOK_RESULT "
MATMUL_SIZE = 4096


@ray.remote(num_gpus=1)
def check_gpu():
    import torch

    report = {
        "node_ip": ray.util.get_node_ip_address(),
        "cuda": torch.cuda.is_available(),
        "visible_devices": ray.get_gpu_ids(),
        "devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
    }
    if report["cuda"]:
        a = torch.randn(MATMUL_SIZE, MATMUL_SIZE, device="cuda")
        b = torch.randn(MATMUL_SIZE, MATMUL_SIZE, device="cuda")
        torch.matmul(a, b)  # warm-up: kernels load on first use
        torch.cuda.synchronize()
        started = time.perf_counter()
        for _unused in range(10):
            torch.matmul(a, b)
        torch.cuda.synchronize()
        seconds = (time.perf_counter() - started) / 10
        report["matmul_ms"] = round(seconds * 1000, 3)
        report["tflops"] = round(2 * MATMUL_SIZE**3 / seconds / 1e12, 1)
    return report


def main():
    ray.init()
    gpu_nodes = [node for node in ray.nodes() if node["Alive"] and node["Resources"].get("GPU", 0) > 0]
    checks = [
        check_gpu.options(resources={"node:" + node["NodeManagerAddress"]: 0.001}).remote() for node in gpu_nodes
    ]
    reports = ray.get(checks)
    result = {"gpu_nodes": len(gpu_nodes), "gpus_total": ray.cluster_resources().get("GPU", 0), "nodes": reports}
    print(RESULT_MARKER + json.dumps(result, sort_keys=True), flush=True)
    broken = [report["node_ip"] for report in reports if not report["cuda"]]
    if broken:
        sys.exit("torch.cuda.is_available() is False on GPU node(s) %s" % ", ".join(broken))


if __name__ == "__main__":
    main()
