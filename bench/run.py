"""`make bench`: runs sinter's benchmarks and their anchors in one session and writes the table.

Anchors: PyTorch (Debian python3-torch, same thread count), the same LibTorch-shaped C++ source
compiled against Debian's libtorch, the machine's measured FMA peak and a STREAM-style triad."""
import argparse
import datetime
import gzip
import json
import os
import subprocess
import sys
import tempfile


def run_json(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{"):
            d = json.loads(line)
            res[d["name"]] = d
    return res


def json_lines(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.strip().startswith("{")]


MODELS = ("resnet18", "mobilenet_v2")
BATCHES = (1, 8)


def model_section(build, threads, runs, env):
    """Inference of torchvision models: sinter (ONNX import + fuse_for_inference + Session, via
    `sinter bench`) beside PyTorch eager and frozen TorchScript, median ms of `runs` runs."""
    b = os.path.join(build, "bin")
    sinter, torch = {}, {}
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["/usr/bin/python3", "tests/onnx/export_models.py", d, *MODELS, "--no-data"], env=env, check=True,
                       capture_output=True)
        for m in MODELS:
            for n in BATCHES:
                r = json_lines([os.path.join(b, "sinter"), "bench", os.path.join(d, m + ".onnx"), "--batch", str(n),
                                "--threads", str(threads), "--runs", str(runs), "--warmup", "5", "--json"], env)[0]
                sinter[(m, n)] = r
    for r in json_lines(["/usr/bin/python3", "bench/model_bench.py", "--models", ",".join(MODELS), "--batches",
                         ",".join(map(str, BATCHES)), "--threads", str(threads), "--runs", str(runs)], env):
        torch[(r["model"], r["batch"], r["kind"])] = r["ms"]
    lines = ["| model | batch | sinter (ms) | PyTorch 1.13 eager (ms) | TorchScript frozen (ms) | sinter / TorchScript |",
             "| --- | --- | --- | --- | --- | --- |"]
    for m in MODELS:
        for n in BATCHES:
            s = sinter[(m, n)]["p50_ms"]
            e, t = torch.get((m, n, "eager")), torch.get((m, n, "torchscript"))
            lines.append(f"| {m} | {n} | {fmt(s)} | {fmt(e)} | {fmt(t)} | {s / t:.2f} |")
    arena = ", ".join(f"batch {n}: {sinter[('resnet18', n)]['arena_bytes'] / 2**20:.1f} MiB" for n in BATCHES)
    return "\n".join(lines), arena


def fmt(v):
    if v is None:
        return "—"
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="BENCHMARKS.md")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=20, help="runs per model measurement (after 5 warm-up runs)")
    ap.add_argument("--models-only", action="store_true", help="only the model table, printed (no file written)")
    a = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), SINTER_NUM_THREADS=str(a.threads))
    models, arena = model_section(a.build, a.threads, a.runs, env)
    print(models)
    print("sinter arena peak, resnet18:", arena)
    if a.models_only:
        return
    q = ["--quick"] if a.quick else []
    b = os.path.join(a.build, "bin")
    sinter = run_json([os.path.join(b, "core_bench")] + q, env)
    torch = run_json(["/usr/bin/python3", "bench/torch_bench.py", "--threads", str(a.threads)] + q, env)
    compat_s = run_json([os.path.join(b, "compat_bench_sinter")], env)
    lt_path = os.path.join(b, "compat_bench_libtorch")
    compat_t = run_json([lt_path], env) if os.path.exists(lt_path) else {}

    # Training: LibTorch's MNIST reader takes uncompressed IDX files; unpack Debian's copies once.
    raw = os.path.join(a.build, "fashion-mnist-raw")
    src = "/usr/share/datasets/fashion-mnist"
    train_s, train_t, train_lt = {}, {}, {}
    if os.path.isdir(src):
        os.makedirs(raw, exist_ok=True)
        for f in os.listdir(src):
            if f.endswith(".gz") and not os.path.exists(os.path.join(raw, f[:-3])):
                with gzip.open(os.path.join(src, f)) as fi, open(os.path.join(raw, f[:-3]) + ".tmp", "wb") as fo:
                    fo.write(fi.read())
                os.replace(os.path.join(raw, f[:-3]) + ".tmp", os.path.join(raw, f[:-3]))
        steps = ["60"] if a.quick else ["200"]
        train_s = run_json([os.path.join(b, "train_bench_sinter"), raw] + steps, env)
        train_t = run_json(["/usr/bin/python3", "bench/train_torch.py", "--threads", str(a.threads), "--steps"] + steps, env)
        lt_train = os.path.join(b, "train_bench_libtorch")
        train_lt = run_json([lt_train, raw] + steps, env) if os.path.exists(lt_train) else {}

    def v(d, k):
        return d[k]["value"] if k in d else None

    peak = v(sinter, "fma_peak")
    triad = v(sinter, "triad_16M")
    rows = []
    # (what, sinter value, unit, anchor name, anchor value, ratio orientation: True = higher is better)
    rows.append(("eager add, 16 elements (µs)", v(compat_s, "eager_add16"), "LibTorch 1.13, same source", v(compat_t, "eager_add16"), False))
    rows.append(("autograd per op, 1000-op chain fwd+bwd (µs)", v(compat_s, "autograd_per_op"), "LibTorch 1.13, same source", v(compat_t, "autograd_per_op"), False))
    rows.append(("add 16M floats (GB/s)", v(sinter, "add_16M"), "STREAM triad", triad, True))
    rows.append(("sum 16M floats (GB/s)", v(sinter, "sum_16M"), "STREAM triad", triad, True))
    rows.append(("add 16M floats (GB/s)", v(sinter, "add_16M"), "PyTorch 1.13", v(torch, "add_16M"), True))
    rows.append(("sum 16M floats (GB/s)", v(sinter, "sum_16M"), "PyTorch 1.13", v(torch, "sum_16M"), True))
    rows.append(("softmax 32x1000 (µs)", v(compat_s, "softmax_32x1000"), "LibTorch 1.13, same source", v(compat_t, "softmax_32x1000"), False))
    for n in (256, 1024, 2048):
        k = f"matmul_{n}"
        rows.append((f"matmul N={n} (GFLOP/s)", v(sinter, k), "FMA peak", peak, True))
        rows.append((f"matmul N={n} (GFLOP/s)", v(sinter, k), "PyTorch 1.13", v(torch, k), True))
    rows.append(("conv2d 3x3 64→64 56x56 b32 fwd (GFLOP/s)", v(sinter, "conv2d_fwd"), "PyTorch 1.13", v(torch, "conv2d_fwd"), True))
    rows.append(("conv2d same, fwd+bwd (GFLOP/s)", v(sinter, "conv2d_fwd_bwd"), "PyTorch 1.13", v(torch, "conv2d_fwd_bwd"), True))

    for kind in ("cnn", "mlp"):
        k = f"train_{kind}_epoch"
        what = f"Fashion-MNIST {kind.upper()} epoch, Adam, batch 64 (s)"
        rows.append((what, v(train_s, k), "PyTorch 1.13", v(train_t, k), False))
        rows.append((what, v(train_s, k), "LibTorch 1.13, same source", v(train_lt, k), False))

    lines = ["| benchmark | sinter | anchor | anchor value | sinter vs anchor |", "| --- | --- | --- | --- | --- |"]
    for what, s, anchor, av, higher in rows:
        if s is None:
            continue
        ratio = "—"
        if av:
            r = s / av if higher else av / s
            ratio = f"{r:.2f}x" if higher else f"{r:.2f}x " + ("faster" if r >= 1 else "slower")
        lines.append(f"| {what} | {fmt(s)} | {anchor} | {fmt(av)} | {ratio} |")
    table = "\n".join(lines)
    print(table)
    cpu = subprocess.run(["sh", "-c", "lscpu | grep 'Model name' | sed 's/.*: *//'"], capture_output=True, text=True).stdout.strip()
    doc = f"""# Benchmarks

Latest figures from `make bench` ({datetime.date.today().isoformat()}, {cpu}, {a.threads} threads,
FMA peak measured in the same run: {fmt(peak)} GFLOP/s; STREAM-style triad: {fmt(triad)} GB/s).
Each figure is the median of repeated runs; the machines are shared and noisy, so compare ratios
taken in one run. Ratios are sinter / anchor for throughput and anchor / sinter for times
(so > 1 means sinter is ahead).

{table}

## Model inference

torchvision models with random weights, {a.threads} threads, median of {a.runs} runs after 5 warm-up
runs. sinter: the model exported to ONNX by PyTorch, imported, fused for inference
(`graph::fuse_for_inference`) and run by a `graph::Session` (`sinter bench MODEL.onnx --batch N`);
PyTorch eager under `torch.no_grad()`; TorchScript frozen:
`torch.jit.optimize_for_inference(torch.jit.trace(model, x))` under `torch.no_grad()`
(`bench/model_bench.py`). The last column is a time ratio: below 1 means sinter is faster.

{models}

Session arena (one buffer holding every intermediate of a run), resnet18: {arena}.

Training rows: seconds per epoch (938 steps of 64), timed over 200 steps after 20 warm-up steps,
data through each framework's usual loader (`bench/train_bench.cpp`, one LibTorch-shaped source
built against sinter and LibTorch; `bench/train_torch.py` for PyTorch).

Command: `make bench` (runs `python3 bench/run.py --build build --out BENCHMARKS.md`).
"""
    with open(a.out + ".tmp", "w") as f:
        f.write(doc)
        f.flush()
        os.fsync(f.fileno())
    os.replace(a.out + ".tmp", a.out)


if __name__ == "__main__":
    main()
