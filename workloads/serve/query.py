"""Queries the deployed Serve application over HTTP; checks its answers against the model; measures latency."""

import argparse
import json
import os
import statistics
import time
import urllib.request

import raybook_model

RESULT_MARKER = "RAYBOOK_RESULT "


def post(url, document):
    request = urllib.request.Request(url, data=json.dumps(document).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    # Where the role deployed Serve (RAYBOOK_SERVE_URL), under the application's route.
    parser.add_argument("--url", default=os.environ.get("RAYBOOK_SERVE_URL", "http://127.0.0.1:8000") + "/classify")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--points-per-request", type=int, default=4)
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()

    features, _unused = raybook_model.spirals(args.requests * args.points_per_request, seed=args.seed)
    model, source = raybook_model.load_latest_model()
    expected = raybook_model.predict(model, features).tolist()
    answers, latencies_ms, served_by, replicas = [], [], set(), set()
    for start in range(0, len(features), args.points_per_request):
        points = features[start:start + args.points_per_request].tolist()
        began = time.perf_counter()
        answer = post(args.url, {"points": points})
        latencies_ms.append((time.perf_counter() - began) * 1000)
        answers.extend(answer["predictions"])
        served_by.add(answer["model"])
        replicas.add((answer["node_ip"], answer["device"]))
    matching = sum(1 for got, want in zip(answers, expected) if got == want)
    ordered = sorted(latencies_ms)
    result = {
        "url": args.url,
        "requests": len(latencies_ms),
        "answers": len(answers),
        "matching_answers": matching,
        "model": source or "untrained (no checkpoint from train)",
        "served_models": sorted(str(model) for model in served_by),
        # Where the replicas that answered ran: node and device.
        "devices": [{"node_ip": node_ip, "device": device} for node_ip, device in sorted(replicas)],
        "latency_ms": {
            "p50": round(statistics.median(ordered), 2),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
            "max": round(ordered[-1], 2),
        },
        "latencies_ms": [round(value, 2) for value in latencies_ms],
        "samples": [{"point": [round(v, 4) for v in features[i].tolist()], "prediction": answers[i]} for i in range(5)],
    }
    print(RESULT_MARKER + json.dumps(result, sort_keys=True), flush=True)
    if matching != len(expected):
        raise SystemExit("Serve answered %d of %d points differently from the model" % (len(expected) - matching, len(expected)))


if __name__ == "__main__":
    main()
