"""The PyTorch side of the model benchmark: torchvision models (random weights, eval mode) run
by PyTorch 1.13 eager and as a frozen TorchScript module
(torch.jit.optimize_for_inference(torch.jit.trace(model, x)) under no_grad), with the same thread
count as sinter; median milliseconds of --runs runs after warm-up, printed as JSON lines.

usage: model_bench.py --models resnet18,mobilenet_v2 --batches 1,8 --threads 2 --runs 20
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "onnx"))
from export_models import make  # noqa: E402  (the same models the ONNX export writes)


def median_ms(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(runs):
        a = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - a) * 1e3)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="resnet18,mobilenet_v2")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for name in a.models.split(","):
        torch.manual_seed(0)
        model, make_input = make(name)
        for b in (int(v) for v in a.batches.split(",")):
            x = make_input(b)
            with torch.no_grad():
                eager = median_ms(lambda: model(x), a.runs, a.warmup)
                frozen = torch.jit.optimize_for_inference(torch.jit.trace(model, x))
                script = median_ms(lambda: frozen(x), a.runs, a.warmup)
            for kind, v in (("eager", eager), ("torchscript", script)):
                print(json.dumps({"model": name, "batch": b, "kind": kind, "ms": v}), flush=True)


if __name__ == "__main__":
    main()
