"""Training speed in PyTorch: the demo's CNN and MLP on Fashion-MNIST (Adam, lr 1e-3, batch 64,
shuffled TensorDataset batches, as a PyTorch user writes it). Prints JSON lines
train_{cnn,mlp}_epoch: seconds per 938 steps, timed over `steps` steps after a warm-up."""
import argparse, gzip, json, time
import numpy as np
import torch
import torch.nn as nn


def idx(path):
    with gzip.open(path) as f:
        b = f.read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(dims)


def model(kind):
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=200)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    x = torch.from_numpy(idx(a.data + "/train-images-idx3-ubyte.gz").copy()).float().div(255).unsqueeze(1)
    y = torch.from_numpy(idx(a.data + "/train-labels-idx1-ubyte.gz").astype(np.int64))
    x = (x - 0.2860) / 0.3530
    for kind in ("cnn", "mlp"):
        torch.manual_seed(0)
        m = model(kind)
        opt = torch.optim.Adam(m.parameters(), 1e-3)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=64, shuffle=True)
        warmup, s = 20, 0
        t0 = time.perf_counter()
        for xb, yb in loader:
            if s == warmup:
                t0 = time.perf_counter()
            opt.zero_grad()
            loss = nn.functional.cross_entropy(m(xb), yb)
            loss.backward()
            opt.step()
            s += 1
            if s == warmup + a.steps:
                break
        t = time.perf_counter() - t0
        print(json.dumps({"name": f"train_{kind}_epoch", "value": t / a.steps * 938, "unit": "s"}), flush=True)


if __name__ == "__main__":
    main()
