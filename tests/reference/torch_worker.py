#!/usr/bin/python3
"""PyTorch reference worker for sinter's op tests.

Run as `/usr/bin/python3 tests/reference/torch_worker.py`. The process imports torch once and then
answers requests until stdin closes: one JSON object per input line, one JSON object per output
line, flushed after each answer.

Request:
    {"expr": "F.softmax(a0, dim=1)",          # evaluated with torch, F, nn, math and a0, a1, ...
     "stmt": "w = a1.t()",                     # optional, executed before expr in the same namespace
     "inputs": [TENSOR or null, ...],          # bound to a0, a1, ... (null binds None)
     "grad_outputs": [TENSOR or null, ...]}    # optional; one per output, runs backward

TENSOR:
    {"dtype": "float32", "shape": [2, 3], "data": "<base64 of C-contiguous little-endian bytes>",
     "requires_grad": false}

dtypes: float32 float64 float16 bfloat16 int64 int32 int16 int8 uint8 bool, and uint16 uint32 uint64.
bfloat16 elements are the top 16 bits of the float32 with the same value; bool elements are one
byte, 0 or 1. PyTorch 1.x has no uint16/32/64: inputs of those dtypes are bound as numpy arrays
(numpy is available to expressions as np), and numpy arrays and scalars are accepted as results.

Answer:
    {"ok": true, "outputs": [TENSOR or null, ...], "grads": [TENSOR or null per input]}
    {"ok": false, "error_type": "RuntimeError", "message": "..."}

The result of expr may be a tensor, a Python number or bool (answered as a 0-dim float64, int64 or
bool tensor), None (answered as a null output), or a (nested) tuple/list of these, flattened in
order. Output encodings carry an extra "requires_grad" field.

With grad_outputs, the worker runs torch.autograd.grad(outputs, inputs requiring grad,
grad_outputs, allow_unused=True), leaving out outputs whose grad_output is null or that do not
require grad. "grads" holds one entry per input: null for inputs that do not require grad or that
the outputs do not depend on. Without grad_outputs, "grads" is all nulls.

Failures raised by torch (or by the request's own Python code) are answered with the exception's
class name as error_type. Problems with the request itself (bad JSON, unknown dtype, wrong byte
count, an output dtype that cannot be encoded) are answered with error_type "HarnessError", so a
test that expects torch to reject an input can tell the two apart. Every request is answered;
the worker never exits before stdin closes.

Every request starts from the same state: torch.manual_seed(0), float32 default dtype, grad
mode on, and a fresh namespace.
"""

import base64
import json
import math
import os
import random
import sys
import warnings

# The protocol owns file descriptor 1. Anything else writing to stdout (print in a stmt, C++
# warnings from torch) is sent to stderr instead, so it cannot corrupt the answer stream.
_proto = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)
sys.stdout = sys.stderr

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # torch missing or broken: say so once and exit; clients see EOF
    sys.stderr.write("torch_worker: cannot import torch: %s\n" % (e,))
    sys.exit(3)

torch.set_num_threads(1)
warnings.simplefilter("ignore")


class HarnessError(Exception):
    """A malformed request or an unencodable result (not an error raised by torch)."""


_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "int64": torch.int64,
    "int32": torch.int32,
    "int16": torch.int16,
    "int8": torch.int8,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}
# Dtypes torch 1.x lacks: exchanged as numpy arrays.
_NP_DTYPES = {"uint16": np.dtype("<u2"), "uint32": np.dtype("<u4"), "uint64": np.dtype("<u8")}
_NP_NAMES = {
    np.dtype(np.float32): "float32", np.dtype(np.float64): "float64", np.dtype(np.float16): "float16",
    np.dtype(np.int64): "int64", np.dtype(np.int32): "int32", np.dtype(np.int16): "int16",
    np.dtype(np.int8): "int8", np.dtype(np.uint8): "uint8", np.dtype(np.bool_): "bool",
    np.dtype(np.uint16): "uint16", np.dtype(np.uint32): "uint32", np.dtype(np.uint64): "uint64",
}
_LITTLE = sys.byteorder == "little"


def _elem_size(dt):
    return torch.empty((), dtype=dt).element_size()


_SIZES = {dt: _elem_size(dt) for dt in _DTYPES.values()}


def decode_tensor(enc, what):
    if enc is None:
        return None
    if not isinstance(enc, dict):
        raise HarnessError("%s: expected a tensor object or null, got %s" % (what, type(enc).__name__))
    name = enc.get("dtype")
    if name in _NP_DTYPES:
        return _decode_numpy(enc, name, what)
    if name not in _DTYPES:
        raise HarnessError("%s: unknown dtype %r" % (what, name))
    dt = _DTYPES[name]
    shape = enc.get("shape")
    if not isinstance(shape, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
    ):
        raise HarnessError("%s: shape must be a list of non-negative ints, got %r" % (what, shape))
    data = enc.get("data", "")
    if not isinstance(data, str):
        raise HarnessError("%s: data must be a base64 string" % what)
    try:
        raw = base64.b64decode(data, validate=True)
    except Exception as e:
        raise HarnessError("%s: bad base64 data: %s" % (what, e))
    numel = math.prod(shape)
    if len(raw) != numel * _SIZES[dt]:
        raise HarnessError(
            "%s: %d bytes of data for shape %s and dtype %s (expected %d)"
            % (what, len(raw), shape, name, numel * _SIZES[dt])
        )
    if numel == 0:
        t = torch.empty(shape, dtype=dt)
    else:
        buf = bytearray(raw)
        if not _LITTLE and _SIZES[dt] > 1:
            buf = bytearray(_byteswap(buf, _SIZES[dt]))
        if dt == torch.bfloat16:
            # The bytes are float32's top halves: read them as int16 and reinterpret the bits.
            t = torch.frombuffer(buf, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(buf, dtype=dt)
        t = t.reshape(shape).clone()
    rg = enc.get("requires_grad", False)
    if rg:
        t.requires_grad_(True)  # torch rejects non-float dtypes here, answered as its error
    return t


def _decode_numpy(enc, name, what):
    dt = _NP_DTYPES[name]
    shape = enc.get("shape")
    if not isinstance(shape, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
    ):
        raise HarnessError("%s: shape must be a list of non-negative ints, got %r" % (what, shape))
    try:
        raw = base64.b64decode(enc.get("data", ""), validate=True)
    except Exception as e:
        raise HarnessError("%s: bad base64 data: %s" % (what, e))
    if len(raw) != math.prod(shape) * dt.itemsize:
        raise HarnessError("%s: %d bytes of data for shape %s and dtype %s" % (what, len(raw), shape, name))
    return np.frombuffer(raw, dtype=dt).reshape(shape).copy()


def _encode_numpy(a):
    arr = np.asarray(a)
    if arr.dtype not in _NP_NAMES:
        raise HarnessError("cannot encode a numpy array of dtype %s" % arr.dtype)
    name = _NP_NAMES[arr.dtype]
    arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    return {
        "dtype": name,
        "shape": list(arr.shape),
        "data": base64.b64encode(arr.tobytes(order="C")).decode("ascii"),
        "requires_grad": False,
    }


def _byteswap(buf, width):
    out = bytearray(len(buf))
    for i in range(0, len(buf), width):
        out[i : i + width] = buf[i : i + width][::-1]
    return out


def encode_tensor(t):
    if t is None:
        return None
    if isinstance(t, (np.ndarray, np.generic)):
        return _encode_numpy(t)
    if isinstance(t, bool):
        t = torch.tensor(t, dtype=torch.bool)
    elif isinstance(t, int):
        t = torch.tensor(t, dtype=torch.int64)
    elif isinstance(t, float):
        t = torch.tensor(t, dtype=torch.float64)
    elif not isinstance(t, torch.Tensor):
        raise HarnessError("cannot encode a result of type %s" % type(t).__name__)
    if t.dtype not in _NAMES:
        raise HarnessError("cannot encode a tensor of dtype %s" % t.dtype)
    if t.layout != torch.strided:
        t = t.to_dense()
    requires_grad = bool(t.requires_grad)
    c = t.detach().cpu().resolve_conj().resolve_neg().contiguous()
    if c.dtype == torch.bfloat16:
        c = c.view(torch.int16)
    arr = c.numpy()
    if not _LITTLE:
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return {
        "dtype": _NAMES[t.dtype],
        "shape": list(t.shape),
        "data": base64.b64encode(arr.tobytes()).decode("ascii"),
        "requires_grad": requires_grad,
    }


def flatten(result, out):
    if isinstance(result, (tuple, list)):  # torch.return_types.* and torch.Size are tuples too
        for r in result:
            flatten(r, out)
    else:
        out.append(result)
    return out


def reset_state():
    torch.manual_seed(0)
    random.seed(0)
    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(True)


def handle(line):
    try:
        req = json.loads(line)
    except Exception as e:
        raise HarnessError("request is not valid JSON: %s" % e)
    if not isinstance(req, dict):
        raise HarnessError("request must be a JSON object")
    expr = req.get("expr")
    if not isinstance(expr, str) or not expr.strip():
        raise HarnessError("request needs a non-empty string 'expr'")
    stmt = req.get("stmt") or ""
    if not isinstance(stmt, str):
        raise HarnessError("'stmt' must be a string")
    encs = req.get("inputs") or []
    if not isinstance(encs, list):
        raise HarnessError("'inputs' must be a list")
    gouts = req.get("grad_outputs")
    if gouts is not None and not isinstance(gouts, list):
        raise HarnessError("'grad_outputs' must be a list or null")

    reset_state()
    inputs = [decode_tensor(e, "inputs[%d]" % i) for i, e in enumerate(encs)]
    grad_outputs = None
    if gouts is not None:
        grad_outputs = [decode_tensor(e, "grad_outputs[%d]" % i) for i, e in enumerate(gouts)]

    ns = {"torch": torch, "F": F, "nn": torch.nn, "math": math, "np": np}
    for i, t in enumerate(inputs):
        ns["a%d" % i] = t
    if stmt.strip():
        exec(compile(stmt, "<stmt>", "exec"), ns)
    result = eval(compile(expr.strip(), "<expr>", "eval"), ns)
    outputs = flatten(result, [])

    grads = [None] * len(inputs)
    if grad_outputs is not None:
        if len(grad_outputs) != len(outputs):
            raise HarnessError(
                "%d grad_outputs for %d outputs" % (len(grad_outputs), len(outputs))
            )
        diff_inputs = [
            i for i, t in enumerate(inputs) if isinstance(t, torch.Tensor) and t.requires_grad
        ]
        outs, gos = [], []
        for o, g in zip(outputs, grad_outputs):
            if g is not None and isinstance(o, torch.Tensor) and o.requires_grad:
                outs.append(o)
                gos.append(g)
        if diff_inputs and outs:
            got = torch.autograd.grad(
                outs, [inputs[i] for i in diff_inputs], gos, allow_unused=True
            )
            for i, g in zip(diff_inputs, got):
                grads[i] = g

    return {
        "ok": True,
        "outputs": [encode_tensor(o) for o in outputs],
        "grads": [encode_tensor(g) for g in grads],
    }


def answer(line):
    try:
        return handle(line)
    except HarnessError as e:
        return {"ok": False, "error_type": "HarnessError", "message": str(e)}
    except BaseException as e:  # includes SystemExit from exit() in a stmt
        if isinstance(e, KeyboardInterrupt):
            raise
        msg = str(e)
        if not msg and e.args:
            msg = repr(e.args)
        return {"ok": False, "error_type": type(e).__name__, "message": msg}


def main():
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline()
        if not line:
            return
        resp = answer(line.decode("utf-8", errors="replace"))
        try:
            data = json.dumps(resp, allow_nan=False)
        except Exception as e:
            data = json.dumps(
                {"ok": False, "error_type": "HarnessError", "message": "cannot encode answer: %s" % e}
            )
        try:
            _proto.write(data.encode("utf-8") + b"\n")
            _proto.flush()
        except (BrokenPipeError, OSError):
            return


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
