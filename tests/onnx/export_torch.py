"""Exports small PyTorch models to ONNX for the importer test, with inputs and torch's outputs.

usage: export_torch.py OUT_DIR
Writes conv.onnx (a small conv net), mlp.onnx (dynamic batch), upsample.onnx (dynamic batch
and image size: resizes to sizes computed from the input's shape and by constant factors),
rnn.onnx (bidirectional LSTM, GRU and ReLU RNN: ONNX LSTM/GRU/RNN nodes) and for each model
<name>_in_<k>.npy / <name>_out_<k>.npy pairs.
"""
import sys

import numpy as np
import torch
import torch.nn as nn

out = sys.argv[1]
torch.manual_seed(0)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 16, 3, stride=2, groups=2)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 3 * 3, 10)

    def forward(self, x):
        x = torch.relu(self.bn(self.c1(x)))
        x = self.pool(nn.functional.leaky_relu(self.c2(x), 0.1))
        x = nn.functional.avg_pool2d(x, 1)
        x = torch.flatten(x, 1)
        return torch.softmax(self.fc(x), dim=1)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(20, 32)
        self.l2 = nn.Linear(32, 32)
        self.l3 = nn.Linear(32, 5)

    def forward(self, x):
        h = torch.tanh(self.l1(x))
        h = nn.functional.gelu(self.l2(h)) + h
        return torch.sigmoid(self.l3(h)) * 2.0 - 0.5


class Upsample(nn.Module):
    """Feature-pyramid style: a coarse map brought back to the input's run-time size."""

    def __init__(self):
        super().__init__()
        self.lat = nn.Conv2d(3, 4, 1)
        self.down = nn.Conv2d(3, 4, 3, stride=2, padding=1)

    def forward(self, x):
        c = self.down(x)
        size = x.shape[-2:]
        y = self.lat(x) + nn.functional.interpolate(c, size=size, mode="nearest")
        y = y + nn.functional.interpolate(c, size=size, mode="bilinear", align_corners=True)
        y = y + nn.functional.interpolate(c, size=size, mode="bicubic", align_corners=False)
        z = nn.functional.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=False)
        return z + nn.functional.interpolate(y, scale_factor=2.0, mode="nearest")


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 8, bidirectional=True, batch_first=True)
        self.gru = nn.GRU(16, 5, bidirectional=True)
        self.rnn = nn.RNN(10, 4, nonlinearity="relu", bidirectional=True)

    def forward(self, x):  # x: (N, T, 6)
        y, (h, c) = self.lstm(x)
        y, g = self.gru(y.transpose(0, 1))
        y, r = self.rnn(y)
        n = x.shape[0]
        parts = [y.transpose(0, 1), h.transpose(0, 1), c.transpose(0, 1), g.transpose(0, 1), r.transpose(0, 1)]
        return torch.cat([p.reshape(n, -1) for p in parts], 1)


def export(name, model, inputs, dynamic):
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    kwargs = {}
    if dynamic:
        axes = {0: "batch", 2: "h", 3: "w"} if inputs[0].dim() == 4 else {0: "batch"}
        kwargs["dynamic_axes"] = {"x": axes, "y": axes}
    torch.onnx.export(model, inputs[0], f"{out}/{name}.onnx", input_names=["x"], output_names=["y"],
                      opset_version=13, **kwargs)
    with torch.no_grad():
        for k, x in enumerate(inputs):
            np.save(f"{out}/{name}_in_{k}.npy", x.numpy())
            np.save(f"{out}/{name}_out_{k}.npy", model(x).numpy())


export("conv", ConvNet(), [torch.randn(2, 3, 14, 14)], False)
export("mlp", MLP(), [torch.randn(4, 20), torch.randn(7, 20)], True)
export("upsample", Upsample(), [torch.randn(2, 3, 8, 10), torch.randn(1, 3, 7, 5)], True)
export("rnn", Recurrent(), [torch.randn(3, 7, 6)], False)
