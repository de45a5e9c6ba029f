"""Exports real models to ONNX for the model agreement tests and benchmarks, with inputs and
torch's outputs.

usage: export_models.py OUT_DIR [MODEL ...] [--batches 1,3] [--no-data]
MODEL is resnet18, mobilenet_v2 or transformer (default: all three). Writes <model>.onnx
(dynamic batch axis) and, unless --no-data, <model>_in_<b>.npy / <model>_out_<b>.npy for each
batch size b. Weights are random (seeded), the models in eval mode.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torchvision


class TransformerClassifier(nn.Module):
    """Linear input embedding, a 2-layer encoder (d_model 64), mean pooling, a linear head."""

    def __init__(self, features=16, d_model=64, classes=10):
        super().__init__()
        self.embed = nn.Linear(features, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=128, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, classes)

    def forward(self, x):  # x: (B, T, features)
        return self.head(self.encoder(self.embed(x)).mean(dim=1))


def randomize_norms(model):
    # Non-trivial batch-norm statistics, so a folded batch norm is really checked.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)


def make(name):
    """(model in eval mode, function batch -> input)."""
    if name == "resnet18":
        m = torchvision.models.resnet18()
        shape = (3, 224, 224)
    elif name == "mobilenet_v2":
        m = torchvision.models.mobilenet_v2()
        shape = (3, 224, 224)
    elif name == "transformer":
        m = TransformerClassifier()
        shape = (12, 16)
    else:
        raise SystemExit(f"unknown model {name}")
    randomize_norms(m)
    m.eval()
    return m, lambda b: torch.randn(b, *shape)


def export(model, x, path):
    torch.onnx.export(model, x, path, input_names=["x"], output_names=["y"], opset_version=13,
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("models", nargs="*", default=["resnet18", "mobilenet_v2", "transformer"])
    ap.add_argument("--batches", default="1,3")
    ap.add_argument("--no-data", action="store_true")
    a = ap.parse_args()
    for name in a.models:
        torch.manual_seed(0)
        model, make_input = make(name)
        batches = [int(b) for b in a.batches.split(",")]
        # Grad mode stays on: under no_grad, PyTorch 1.13 runs nn.TransformerEncoder through a
        # fused fast path that the ONNX exporter cannot express.
        export(model, make_input(batches[0]), f"{a.out}/{name}.onnx")
        if a.no_data:
            continue
        for b in batches:
            x = make_input(b)
            np.save(f"{a.out}/{name}_in_{b}.npy", x.numpy())
            np.save(f"{a.out}/{name}_out_{b}.npy", model(x).detach().numpy())


if __name__ == "__main__":
    main()
