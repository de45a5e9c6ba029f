"""The PyTorch side of `make bench`: the same workloads as core_bench.cpp, run by Debian's
torch with the same thread count, printed as JSON lines."""
import json
import statistics
import sys
import time

import torch


def median_seconds(fn, inner=1, reps=7):
    for _ in range(inner):
        fn()
    ts = []
    for _ in range(reps):
        a = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - a) / inner)
    return statistics.median(ts)


def report(name, value, unit):
    print(json.dumps({"name": name, "value": value, "unit": unit}), flush=True)


def main():
    quick = "--quick" in sys.argv
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    a, b = torch.randn(16), torch.randn(16)
    report("eager_add16", median_seconds(lambda: a + b, 100000) * 1e6, "us")

    x = torch.randn(16, requires_grad=True)

    def chain():
        y = x
        for _ in range(500):
            y = y * 1.0001
            y = y + 0.5
        y.sum().backward()

    report("autograd_per_op", median_seconds(chain, 10) / 1000 * 1e6, "us")
    n = 16 * 1024 * 1024
    a, b = torch.randn(n), torch.randn(n)
    report("add_16M", 3 * 4 * n / median_seconds(lambda: a + b, 5) / 1e9, "GB/s")
    report("sum_16M", 4 * n / median_seconds(lambda: a.sum(), 5) / 1e9, "GB/s")
    s = torch.randn(32, 1000)
    report("softmax_32x1000", median_seconds(lambda: torch.softmax(s, 1), 200) * 1e6, "us")
    for N in (256, 1024, 2048):
        if quick and N > 1024:
            break
        m1, m2 = torch.randn(N, N), torch.randn(N, N)
        inner = 50 if N <= 256 else 5 if N <= 1024 else 2
        report(f"matmul_{N}", 2 * N ** 3 / median_seconds(lambda: m1 @ m2, inner, 5) / 1e9, "GFLOP/s")
    B = 8 if quick else 32
    x = torch.randn(B, 64, 56, 56)
    w = torch.randn(64, 64, 3, 3) * 0.05
    flops = 2.0 * B * 64 * 64 * 9 * 56 * 56
    conv = torch.nn.functional.conv2d
    report("conv2d_fwd", flops / median_seconds(lambda: conv(x, w, padding=1), 1, 5) / 1e9, "GFLOP/s")
    xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()
    go = torch.randn(B, 64, 56, 56)

    def fwd_bwd():
        out = conv(xg, wg, padding=1)
        torch.autograd.grad([out], [xg, wg], [go])

    report("conv2d_fwd_bwd", 3 * flops / median_seconds(fwd_bwd, 1, 5) / 1e9, "GFLOP/s")


if __name__ == "__main__":
    main()
