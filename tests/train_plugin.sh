#!/usr/bin/env bash
# train_plugin.sh PERTURB: training with a user's solver from a shared library
# (task.kind = plugin, examples/plugin_topk.c) under mpirun with 2 ranks.
#  1. A dataset whose targets are top-2 vectors (task "solution", /Y in the
#     plug-in's embedding) trains 2 epochs with the FY loss and the affine
#     model; the run file has a metrics row per epoch with an accuracy in
#     [0, 1], and the run prints its metrics.
#  2. The same run on 1 rank gives the same model, bit for bit.
#  3. Bad plug-ins and [task] keys give one line on stderr naming the library
#     or key, a non-zero exit, no rank left hanging: no task.plugin, a missing
#     file, no entry point, the wrong dimension, the entry point failing (its
#     message), task.plugin without task.kind = plugin, task.kind = auto on
#     such data.
# The plug-ins are built by CMake next to PERTURB: libplugin_topk.so in its
# directory, the broken ones (tests/plugins/) in tests/.
set -u
perturb=$1
build=$(cd "$(dirname "$perturb")" && pwd)
topk=$build/libplugin_topk.so
. "$(dirname "$0")/checks.sh"

# expect NAME SUBSTRING -- COMMAND...: under mpirun -n 2, a non-zero exit (not
# a timeout) and exactly one line on stderr, containing SUBSTRING.
expect() {
  local name=$1 want=$2
  shift 2
  [ "$1" = -- ] && shift
  timeout 120 mpirun -q -n 2 --oversubscribe "$perturb" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$? lines
  lines=$(grep -c . "$tmp/err")
  if [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" "$tmp/err"; then
    fail "$name: exit $rc, $lines stderr lines (wanted one containing '$want'): $(head -3 "$tmp/err")"
  else
    pass "$name -> $(cat "$tmp/err")"
  fi
}

# 200 instances, 4 features, 6 items; the targets are the 2 items of largest
# score under a hidden linear model (ties impossible in floating point).
/usr/bin/python3 - "$tmp" <<'PY' || { echo "FAIL: cannot write the dataset"; exit 1; }
import sys
import h5py
import numpy as np
rng = np.random.default_rng(3)
n, p, d, k = 200, 4, 6, 2
X = rng.standard_normal((n, p))
scores = X @ rng.standard_normal((p, d))
Y = np.zeros((n, d))
top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
np.put_along_axis(Y, top, 1.0, axis=1)
for name, rows in [("train", slice(0, 150)), ("test", slice(150, n))]:
    with h5py.File(f"{sys.argv[1]}/{name}.h5", "w") as f:
        f.attrs["format_version"] = 1
        f.attrs["task"] = "solution"
        f.attrs["name"] = "top2"
        f.attrs["source"] = "train_plugin.sh"
        f.attrs["features_per_label"] = 0
        f["X"] = X[rows]
        f["Y"] = Y[rows]
PY

cat > "$tmp/c.ini" <<INI
[data]
train = $tmp/train.h5
test = $tmp/test.h5
[task]
kind = plugin
plugin = $topk
plugin_options = k=2
[model]
kind = affine
[loss]
kind = fy
samples = 4
[train]
epochs = 2
batch_size = 10
seed = 1
INI

for np in 2 1; do
  if timeout 300 mpirun -q -n $np --oversubscribe "$perturb" train "$tmp/c.ini" --out "$tmp/run$np.h5" --force \
    >"$tmp/train$np.out" 2>"$tmp/train$np.err"; then
    pass "trains 2 epochs with the plug-in on $np rank(s)"
  else
    fail "training with the plug-in on $np rank(s): $(head -3 "$tmp/train$np.err")"
  fi
done
if grep -qi accuracy "$tmp/train2.out"; then pass "the run prints its accuracy"; else
  fail "no accuracy in the output: $(head -5 "$tmp/train2.out")"; fi
if [ ! -f "$tmp/run1.h5" ] || [ ! -f "$tmp/run2.h5" ]; then fail "no run files to check"
elif /usr/bin/python3 - "$tmp" <<'PY'; then pass "the run files hold 2 epochs, an accuracy in [0, 1], the same model on 1 and 2 ranks"; else fail "run files"; fi
import sys
import h5py
import numpy as np
t = sys.argv[1]
with h5py.File(f"{t}/run2.h5", "r") as a, h5py.File(f"{t}/run1.h5", "r") as b:
    m = a["metrics"][...]
    assert len(m) == 2, f"{len(m)} metrics rows"
    cols = [c for c in m.dtype.names if "accuracy" in c]
    assert cols, f"no accuracy column in {m.dtype.names}"
    for c in cols:
        v = m[c][-1]
        assert 0.0 <= v <= 1.0, f"{c} = {v}"
    for name in a["model"]:
        if isinstance(a["model"][name], h5py.Dataset):
            assert np.array_equal(a["model"][name][...], b["model"][name][...]), f"model/{name} differs"
PY

G=$tmp/c.ini
O=(--out "$tmp/bad.h5" --force)
expect "no task.plugin" "task.kind = plugin needs task.plugin" -- train "$G" task.plugin= task.plugin_options= "${O[@]}"
expect "missing library" "cannot load it" -- train "$G" task.plugin="$tmp/libnone.so" "${O[@]}"
expect "no entry point" "has no function perturb_plugin_solver" -- train "$G" \
  task.plugin="$build/tests/libtest_plugin_no_entry.so" "${O[@]}"
expect "wrong dimension" "returns a solver of dimension 8, the data" -- train "$G" \
  task.plugin="$build/tests/libtest_plugin_wrong_dim.so" "${O[@]}"
expect "entry point fails" "fails: cannot use the options 'k=2'" -- train "$G" \
  task.plugin="$build/tests/libtest_plugin_fails.so" "${O[@]}"
expect "k out of range" "plugin_topk: k must be in 1..6" -- train "$G" task.plugin_options=k=7 "${O[@]}"
expect "plugin without task.kind = plugin" "needs task.kind = plugin" -- train "$G" task.kind=ranking "${O[@]}"
expect "auto on solution data" "set task.kind" -- train "$G" task.kind=auto task.plugin= task.plugin_options= "${O[@]}"
finish train_plugin
