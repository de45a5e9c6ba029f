#!/usr/bin/env bash
# `sinter inspect` and `sinter run` on a PyTorch-exported model: run's NPY output must match torch's.
set -euo pipefail
sinter=$1
src_dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$src_dir/export_torch.py" "$tmp" > "$tmp/export.log" 2>&1 || { cat "$tmp/export.log"; exit 1; }
"$sinter" inspect "$tmp/mlp.onnx" > "$tmp/inspect.txt"
cat "$tmp/inspect.txt"
grep -q "x: f32\[batch, 20\]" "$tmp/inspect.txt"
grep -q "^  Gemm *3$" "$tmp/inspect.txt"
grep -q "^parameters: 1893 " "$tmp/inspect.txt"
# one sample: 2 x (20*32 + 32*32 + 32*5) = 3648
grep -q "symbolic dims as 1): 3648 " "$tmp/inspect.txt"
"$sinter" run "$tmp/mlp.onnx" --input "x=$tmp/mlp_in_1.npy" --output-dir "$tmp/out"
/usr/bin/python3 - "$tmp/out/y.npy" "$tmp/mlp_out_1.npy" <<'PY'
import sys
import numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.shape == b.shape, (a.shape, b.shape)
err = float(np.abs(a - b).max())
assert err <= 1e-4 * float(np.abs(b).max()), err
print("sinter run matches torch: max error", err)
PY
# a missing input is a usage error, not a crash
if "$sinter" run "$tmp/mlp.onnx" --output-dir "$tmp/out2" 2> "$tmp/err.txt"; then exit 1; fi
grep -q "missing --input x" "$tmp/err.txt"
# sinter test-onnx: backend-test folders (one case, or a folder of cases); a wrong stored
# output is a FAIL line and a non-zero exit, an unsupported op a SKIP line.
data=${SINTER_ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}/node
# (an op no importer knows: test_relu with its op type renamed, same length, so the protobuf
# stays valid)
cp -r "$data/test_relu" "$tmp/test_xelu"
/usr/bin/python3 -c "import sys; p = sys.argv[1]; b = open(p, 'rb').read(); open(p, 'wb').write(b.replace(b'Relu', b'Xelu'))" \
  "$tmp/test_xelu/model.onnx"
"$sinter" test-onnx "$data/test_relu" "$tmp/test_xelu" > "$tmp/t1.txt"
cat "$tmp/t1.txt"
grep -q "^SKIP .*test_xelu: .*not supported" "$tmp/t1.txt"
[ "$(tail -n 1 "$tmp/t1.txt")" = "1 passed, 0 failed, 1 skipped" ]
mkdir "$tmp/cases"
cp -r "$data/test_relu" "$tmp/cases/good"
cp -r "$data/test_relu" "$tmp/cases/bad"
cp "$tmp/cases/bad/test_data_set_0/input_0.pb" "$tmp/cases/bad/test_data_set_0/output_0.pb"
if "$sinter" test-onnx "$tmp/cases" > "$tmp/t2.txt"; then cat "$tmp/t2.txt"; exit 1; fi
cat "$tmp/t2.txt"
grep -q "^FAIL .*/bad: test_data_set_0 output 0: element " "$tmp/t2.txt"
[ "$(tail -n 1 "$tmp/t2.txt")" = "1 passed, 1 failed, 0 skipped" ]
echo "cli check passed"
