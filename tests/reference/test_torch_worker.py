#!/usr/bin/python3
"""Checks torch_worker.py on its own: `/usr/bin/python3 tests/reference/test_torch_worker.py`.

Starts one worker and talks to it over pipes the way the C++ client does.
"""

import base64
import json
import os
import struct
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "torch_worker.py")

# dtype -> struct format of one element (bfloat16 handled separately)
FMT = {
    "float32": "f", "float64": "d", "float16": "e", "int64": "q", "int32": "i",
    "int16": "h", "int8": "b", "uint8": "B", "bool": "?",
}


def bf16_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0] >> 16


def enc(dtype, shape, values, requires_grad=False):
    if dtype == "bfloat16":
        raw = b"".join(struct.pack("<H", bf16_bits(v)) for v in values)
    else:
        raw = struct.pack("<%d%s" % (len(values), FMT[dtype]), *values)
    return {"dtype": dtype, "shape": shape, "data": base64.b64encode(raw).decode(),
            "requires_grad": requires_grad}


def dec(t):
    if t is None:
        return None
    raw = base64.b64decode(t["data"])
    if t["dtype"] == "bfloat16":
        n = len(raw) // 2
        vals = [struct.unpack("<f", struct.pack("<I", h << 16))[0]
                for h in struct.unpack("<%dH" % n, raw)]
    else:
        n = len(raw) // struct.calcsize(FMT[t["dtype"]])
        vals = list(struct.unpack("<%d%s" % (n, FMT[t["dtype"]]), raw))
    return t["dtype"], t["shape"], vals


class Worker:
    def __init__(self):
        self.p = subprocess.Popen(["/usr/bin/python3", WORKER], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)

    def raw(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()
        out = self.p.stdout.readline()
        assert out.endswith(b"\n"), out
        return json.loads(out)

    def __call__(self, expr, inputs=(), grad_outputs=None, stmt=None):
        req = {"expr": expr, "inputs": list(inputs)}
        if grad_outputs is not None:
            req["grad_outputs"] = grad_outputs
        if stmt is not None:
            req["stmt"] = stmt
        return self.raw(json.dumps(req))

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)
        self.p.stdout.close()


class WorkerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.w = Worker()

    @classmethod
    def tearDownClass(cls):
        cls.w.close()

    def test_forward(self):
        r = self.w("a0 + a1", [enc("float32", [2, 2], [1, 2, 3, 4]), enc("float32", [2], [10, 20])])
        self.assertTrue(r["ok"], r)
        self.assertEqual(dec(r["outputs"][0]), ("float32", [2, 2], [11, 22, 13, 24]))
        self.assertEqual(r["grads"], [None, None])

    def test_every_dtype_round_trips(self):
        cases = {
            "float32": [1.5, -2.25, float("inf"), 0.0],
            "float64": [1e300, -1e-300, float("-inf"), 3.0],
            "float16": [1.5, -65504.0, 0.0009765625, 2.0],
            "bfloat16": [1.0, -3.0, 2.0**126, 0.0078125],
            "int64": [2**62, -2**63, 0, 7],
            "int32": [2**31 - 1, -2**31, 0, -7],
            "int16": [32767, -32768, 1, 2],
            "int8": [127, -128, 0, 5],
            "uint8": [255, 0, 128, 1],
            "bool": [True, False, False, True],
        }
        for dt, vals in cases.items():
            with self.subTest(dtype=dt):
                r = self.w("a0.clone()", [enc(dt, [2, 2], vals)])
                self.assertTrue(r["ok"], r)
                self.assertEqual(dec(r["outputs"][0]), (dt, [2, 2], vals))
                r = self.w("str(a0.dtype)", [enc(dt, [2, 2], vals)])
                self.assertEqual(r["error_type"], "HarnessError")  # strings are not results
                r = self.w("a0.dtype == torch.%s" % dt, [enc(dt, [2, 2], vals)])
                self.assertEqual(dec(r["outputs"][0]), ("bool", [], [True]))

    def test_bfloat16_bits_and_nan(self):
        r = self.w("a0 * 2", [enc("bfloat16", [3], [1.0, float("nan"), -0.5])])
        self.assertTrue(r["ok"], r)
        dt, shape, vals = dec(r["outputs"][0])
        self.assertEqual((dt, shape, vals[0], vals[2]), ("bfloat16", [3], 2.0, -1.0))
        self.assertNotEqual(vals[1], vals[1])

    def test_zero_size(self):
        r = self.w("a0.sum(1)", [enc("float32", [0, 3], [])])
        self.assertTrue(r["ok"], r)
        self.assertEqual(dec(r["outputs"][0]), ("float32", [0], []))
        r = self.w("a0 * 2", [enc("int64", [2, 0, 4], [])])
        self.assertEqual(dec(r["outputs"][0]), ("int64", [2, 0, 4], []))
        r = self.w("a0.sum()", [enc("float32", [0], [])])
        self.assertEqual(dec(r["outputs"][0]), ("float32", [], [0.0]))

    def test_zero_dim(self):
        r = self.w("a0 + 1", [enc("float64", [], [2.5])])
        self.assertEqual(dec(r["outputs"][0]), ("float64", [], [3.5]))

    def test_python_numbers(self):
        r = self.w("(1.5, 3, True, a0.numel())", [enc("float32", [4], [0, 0, 0, 0])])
        self.assertTrue(r["ok"], r)
        self.assertEqual([dec(o) for o in r["outputs"]],
                         [("float64", [], [1.5]), ("int64", [], [3]), ("bool", [], [True]),
                          ("int64", [], [4])])

    def test_tuple_output(self):
        r = self.w("torch.max(a0, 1)", [enc("float32", [2, 3], [1, 5, 2, 9, 0, 3])])
        self.assertTrue(r["ok"], r)
        self.assertEqual(dec(r["outputs"][0]), ("float32", [2], [5, 9]))
        self.assertEqual(dec(r["outputs"][1]), ("int64", [2], [1, 0]))
        r = self.w("[a0, (a0 * 2, None)]", [enc("int32", [1], [4])])
        self.assertEqual([dec(o) for o in r["outputs"]],
                         [("int32", [1], [4]), ("int32", [1], [8]), None])
        r = self.w("a0.shape", [enc("int32", [2, 5], [0] * 10)])
        self.assertEqual([dec(o) for o in r["outputs"]], [("int64", [], [2]), ("int64", [], [5])])

    def test_backward(self):
        x = enc("float64", [2, 2], [1, 2, 3, 4], requires_grad=True)
        y = enc("float64", [2], [10, 20], requires_grad=False)
        g = enc("float64", [2, 2], [1, 1, 1, 1])
        r = self.w("a0 * a0 * a1", [x, y], grad_outputs=[g])
        self.assertTrue(r["ok"], r)
        self.assertEqual(dec(r["outputs"][0])[2], [10, 80, 90, 320])
        self.assertTrue(r["outputs"][0]["requires_grad"])
        self.assertEqual(dec(r["grads"][0]), ("float64", [2, 2], [20, 80, 60, 160]))
        self.assertIsNone(r["grads"][1])

    def test_backward_both_inputs_and_broadcast(self):
        x = enc("float32", [2, 3], [1, 2, 3, 4, 5, 6], requires_grad=True)
        b = enc("float32", [3], [1, 1, 1], requires_grad=True)
        g = enc("float32", [2, 3], [1, 2, 3, 4, 5, 6])
        r = self.w("a0 + a1", [x, b], grad_outputs=[g])
        self.assertTrue(r["ok"], r)
        self.assertEqual(dec(r["grads"][0])[2], [1, 2, 3, 4, 5, 6])
        self.assertEqual(dec(r["grads"][1]), ("float32", [3], [5, 7, 9]))

    def test_backward_tuple_skips_null_and_integer_outputs(self):
        x = enc("float32", [2, 3], [1, 5, 2, 9, 0, 3], requires_grad=True)
        r = self.w("torch.max(a0, 1)", [x], grad_outputs=[enc("float32", [2], [1, 2]), None])
        self.assertTrue(r["ok"], r)
        self.assertEqual(dec(r["grads"][0])[2], [0, 1, 0, 2, 0, 0])
        # a grad_output given for the int64 indices is ignored as well
        r = self.w("torch.max(a0, 1)", [x], grad_outputs=[enc("float32", [2], [1, 2]),
                                                          enc("int64", [2], [1, 1])])
        self.assertTrue(r["ok"], r)
        self.assertEqual(dec(r["grads"][0])[2], [0, 1, 0, 2, 0, 0])

    def test_backward_unused_input(self):
        x = enc("float32", [2], [1, 2], requires_grad=True)
        y = enc("float32", [2], [3, 4], requires_grad=True)
        r = self.w("a0 * 3", [x, y], grad_outputs=[enc("float32", [2], [1, 1])])
        self.assertTrue(r["ok"], r)
        self.assertEqual(dec(r["grads"][0])[2], [3, 3])
        self.assertIsNone(r["grads"][1])

    def test_backward_with_stmt(self):
        x = enc("float64", [3], [1, 2, 3], requires_grad=True)
        r = self.w("F.softmax(h, dim=0)", [x], grad_outputs=[enc("float64", [3], [1, 0, 0])],
                   stmt="h = a0 * 2\nh = h - 1")
        self.assertTrue(r["ok"], r)
        self.assertEqual(len(dec(r["grads"][0])[2]), 3)

    def test_grad_output_count_mismatch(self):
        x = enc("float32", [2], [1, 2], requires_grad=True)
        r = self.w("a0 * 2", [x], grad_outputs=[])
        self.assertFalse(r["ok"])
        self.assertEqual(r["error_type"], "HarnessError")

    def test_grad_output_shape_mismatch_is_torch_error(self):
        x = enc("float32", [2], [1, 2], requires_grad=True)
        r = self.w("a0 * 2", [x], grad_outputs=[enc("float32", [3], [1, 1, 1])])
        self.assertFalse(r["ok"])
        self.assertEqual(r["error_type"], "RuntimeError")

    def test_torch_error(self):
        r = self.w("a0 + a1", [enc("float32", [2], [1, 2]), enc("float32", [3], [1, 2, 3])])
        self.assertFalse(r["ok"])
        self.assertEqual(r["error_type"], "RuntimeError")
        self.assertIn("size of tensor a", r["message"])
        r = self.w("a0.requires_grad_()", [enc("int64", [1], [1])])
        self.assertEqual(r["error_type"], "RuntimeError")
        r = self.w("torch.zeros(2)[5]")
        self.assertEqual(r["error_type"], "IndexError")
        r = self.w("F.softmax(a0, dim=3)", [enc("float32", [2], [1, 2])])
        self.assertEqual(r["error_type"], "IndexError")
        r = self.w("torch.ones(2).view(3)")
        self.assertEqual(r["error_type"], "RuntimeError")

    def test_int_requires_grad_is_torch_error(self):
        r = self.w("a0 * 2", [enc("int64", [1], [1], requires_grad=True)])
        self.assertEqual(r["error_type"], "RuntimeError")

    def test_bad_requests(self):
        for line in ["", "not json", "[1, 2]", '{"inputs": []}', '{"expr": 5}',
                     '{"expr": "a0", "inputs": [{"dtype": "complex64", "shape": [1], "data": ""}]}',
                     '{"expr": "a0", "inputs": [{"dtype": "float32", "shape": [2], "data": "AAAA"}]}',
                     '{"expr": "a0", "inputs": [{"dtype": "float32", "shape": [-1], "data": ""}]}',
                     '{"expr": "a0", "inputs": [{"dtype": "float32", "shape": [1], "data": "!!"}]}',
                     '{"expr": "a0", "inputs": [7]}',
                     '{"expr": "torch.zeros(2, dtype=torch.complex64)"}',
                     '{"expr": "object()"}']:
            with self.subTest(line=line):
                r = self.w.raw(line)
                self.assertFalse(r["ok"])
                self.assertEqual(r["error_type"], "HarnessError", r)
        r = self.w("a0 +")
        self.assertEqual(r["error_type"], "SyntaxError")
        r = self.w("a7")
        self.assertEqual(r["error_type"], "NameError")
        r = self.w("1", stmt="raise SystemExit(4)")
        self.assertEqual(r["error_type"], "SystemExit")
        r = self.w("1", stmt="import os; print('to stderr, not the protocol')")
        self.assertTrue(r["ok"], r)
        self.assertTrue(self.w("1")["ok"])  # still alive

    def test_null_input_binds_none(self):
        r = self.w("F.linear(a0, a1, a2)", [enc("float32", [1, 2], [1, 2]),
                                            enc("float32", [1, 2], [3, 4]), None])
        self.assertTrue(r["ok"], r)
        self.assertEqual(dec(r["outputs"][0]), ("float32", [1, 1], [11]))
        self.assertEqual(r["grads"], [None, None, None])

    def test_seed_per_request(self):
        a = self.w("torch.rand(4)")
        b = self.w("torch.randn(3)")
        c = self.w("torch.rand(4)")
        self.assertEqual(a["outputs"], c["outputs"])
        self.assertTrue(b["ok"])
        d = self.w("F.dropout(torch.ones(8), 0.5)")
        self.assertEqual(d, self.w("F.dropout(torch.ones(8), 0.5)"))

    def test_state_reset(self):
        self.w("1", stmt="torch.set_default_dtype(torch.float64)\ntorch.set_grad_enabled(False)")
        r = self.w("torch.ones(1)")
        self.assertEqual(r["outputs"][0]["dtype"], "float32")
        r = self.w("x", stmt="x = 1")
        self.assertTrue(r["ok"])
        r = self.w("x")
        self.assertEqual(r["error_type"], "NameError")

    def test_non_contiguous_results(self):
        r = self.w("a0.t()", [enc("int16", [2, 3], [1, 2, 3, 4, 5, 6])])
        self.assertEqual(dec(r["outputs"][0]), ("int16", [3, 2], [1, 4, 2, 5, 3, 6]))
        r = self.w("a0.expand(2, 3)", [enc("bfloat16", [3], [1, 2, 3])])
        self.assertEqual(dec(r["outputs"][0]), ("bfloat16", [2, 3], [1, 2, 3, 1, 2, 3]))
        r = self.w("-a0.conj()", [enc("float32", [2], [1, 2])])
        self.assertEqual(dec(r["outputs"][0])[2], [-1, -2])

    def test_large(self):
        n = 1 << 18
        r = self.w("a0.sum()", [enc("float32", [n], [1.0] * n)])
        self.assertEqual(dec(r["outputs"][0])[2], [float(n)])
        r = self.w("torch.arange(%d, dtype=torch.int64)" % n)
        self.assertEqual(dec(r["outputs"][0])[2][-1], n - 1)


class WorkerLifecycleTest(unittest.TestCase):
    def test_exits_on_eof(self):
        w = Worker()
        self.assertTrue(w("1")["ok"])
        w.close()
        self.assertEqual(w.p.returncode, 0)

    def test_pipeline(self):
        # many requests in one write: answers come back in order
        p = subprocess.Popen(["/usr/bin/python3", WORKER], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
        lines = "".join(json.dumps({"expr": "%d" % i}) + "\n" for i in range(50))
        out, _ = p.communicate(lines.encode(), timeout=60)
        self.assertEqual(p.returncode, 0)
        answers = [json.loads(l) for l in out.splitlines()]
        self.assertEqual([dec(a["outputs"][0])[2][0] for a in answers], list(range(50)))


if __name__ == "__main__":
    unittest.main()
