#!/usr/bin/env bash
# train_integrity.sh PERTURB: the model and the run file keep what predictions
# and resumes depend on (issue #8 items 1, 5, 6, 8, 9).
#  - A standardised model carries its statistics: `perturb eval RUN.h5` on the
#    run's own split gives the run's last metrics bitwise (features x10+5 from a
#    CSV, affine model; per-label features, linear scorer), and `eval RUN.h5
#    DATA.h5` applies them to a dataset file (the run's test file: its test
#    metrics, bitwise).
#  - A dataset with one label (HDF5) is refused as the CSV import refuses it.
#  - --resume refuses data that changed since the run began.
#  - Feature statistics that overflow stop the run with one line naming the
#    file and the feature.
#  - Runs on 2 and 3 ranks pass the parameter checksum at every checkpoint.
set -u
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"
py=/usr/bin/python3
mpi() { local np=$1; shift; timeout 120 mpirun -q -n "$np" --oversubscribe "$perturb" "$@"; }

# expect NAME SUBSTRING -- COMMAND...: under 2 ranks, a non-zero exit (not a
# timeout) and exactly one stderr line, containing SUBSTRING.
expect() {
  local name=$1 want=$2
  shift 3
  mpi 2 "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$? lines
  lines=$(grep -c . "$tmp/err")
  if [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" "$tmp/err"; then
    fail "$name: exit $rc, $lines stderr lines (wanted one containing '$want'): $(head -3 "$tmp/err")"
  else
    pass "$name -> $(cat "$tmp/err")"
  fi
}

# same_metrics NAME RUN.h5 JSON [test-only]: the JSON line of `perturb eval`
# holds the run's last metrics row, compared as float64 bit for bit.
same_metrics() {
  local name=$1 run=$2 json=$3 only=${4:-}
  if $py - "$run" "$json" "$only" <<'PY'; then pass "$name"; else fail "$name"; fi
import json, sys, h5py, numpy as np
run, line, only = sys.argv[1], sys.argv[2], sys.argv[3]
last = h5py.File(run)["metrics"][-1]
got = json.loads(line)
pairs = [("spearman", "test_spearman"), ("exact", "test_exact")]
if not only:
    pairs += [("train_spearman", "train_spearman"), ("train_exact", "train_exact")]
ok = True
for k, col in pairs:
    a, b = np.float64(got[k]), np.float64(last[col])
    print(f"    {col}: eval {a!r}, run {b!r}")
    ok &= a.tobytes() == b.tobytes()
sys.exit(0 if ok else 1)
PY
}

# Data: an affine synthetic task written as a CSV with features x10+5, a
# per-label one likewise as HDF5, and train/test files of the affine rows.
cat > "$tmp/gen.ini" <<'INI'
[synthetic]
kind = affine
n = 300
labels = 5
features = 4
sigma = 0.1
seed = 3
INI
"$perturb" gen "$tmp/gen.ini" --out "$tmp/aff.h5" >/dev/null || { echo "FAIL: gen"; exit 1; }
"$perturb" gen "$tmp/gen.ini" synthetic.kind=per_label --out "$tmp/pl.h5" >/dev/null || { echo "FAIL: gen"; exit 1; }
mkdir -p "$tmp/csv"
$py - "$tmp" <<'PY' || { echo "FAIL: cannot write the test data"; exit 1; }
import sys, shutil, h5py, numpy as np
t = sys.argv[1]
with h5py.File(f"{t}/aff.h5") as f:
    X, R = f["X"][...] * 10 + 5, f["ranks"][...]
p, d = X.shape[1], R.shape[1]
with open(f"{t}/csv/scaled.csv", "w") as out:
    out.write(",".join([f"f{j+1}" for j in range(p)] + [f"r{j+1}" for j in range(d)]) + "\n")
    for x, r in zip(X, R):
        out.write(",".join([repr(float(v)) for v in x] + [str(int(v)) for v in r]) + "\n")
def dataset(path, X, R):
    with h5py.File(path, "w") as f:
        f["X"] = X
        f["ranks"] = R.astype(np.int32)
        f["Y"] = (R.shape[1] - R).astype(np.float64)
dataset(f"{t}/train.h5", X[:220], R[:220])
dataset(f"{t}/test.h5", X[220:], R[220:])
shutil.copy(f"{t}/pl.h5", f"{t}/pl_scaled.h5")
with h5py.File(f"{t}/pl_scaled.h5", "r+") as f:
    f["X"][...] = f["X"][...] * 10 + 5
# one label (item 5)
with h5py.File(f"{t}/d1.h5", "w") as f:
    f["X"] = np.arange(40.0).reshape(20, 2)
    f["Y"] = np.zeros((20, 1))
    f["ranks"] = np.ones((20, 1), dtype=np.int32)
# features too large to standardise (item 8): one of about 1e200, two rows of 1e308
big = X[:220].copy(); big[:, 1] = 1e200 * (1 + np.arange(220) / 220)
dataset(f"{t}/big.h5", big, R[:220])
huge = X[:220].copy(); huge[:2, 2] = 1e308
dataset(f"{t}/huge.h5", huge, R[:220])
# statistics that are finite, but a test value beyond the largest double once scaled
narrow = X.copy(); narrow[:, 0] = 1e-3 * np.arange(len(X)) / len(X)
dataset(f"{t}/narrow.h5", narrow[:220], R[:220])
far = narrow[220:].copy(); far[3, 0] = 1e308
dataset(f"{t}/far.h5", far, R[220:])
PY
cat > "$tmp/c.ini" <<'INI'
[data]
standardize = true
[model]
kind = affine
[loss]
samples = 4
[optim]
kind = adam
lr = 0.05
[train]
epochs = 4
batch_size = 16
checkpoint_every = 1
INI
C=$tmp/c.ini

# 1. eval of a standardised run on its own split: the run's metrics, bitwise
if mpi 2 train "$C" data.dataset=scaled data.csv_dir="$tmp/csv" data.folds=5 data.fold=2 --out "$tmp/cv.h5" >/dev/null &&
  json=$(mpi 3 eval "$tmp/cv.h5" --json); then
  same_metrics "eval RUN.h5 (CSV x10+5, 5 folds, standardised, 3 ranks) = the run's test and training metrics" \
    "$tmp/cv.h5" "$json"
else
  fail "train or eval RUN.h5 (CSV x10+5, standardised)"
fi
if $py -c "import h5py,sys; g=h5py.File(sys.argv[1])['model']; sys.exit(0 if 'x_mean' in g and 'x_sd' in g else 1)" \
  "$tmp/cv.h5" 2>/dev/null; then pass "/model holds x_mean and x_sd"; else fail "/model holds x_mean and x_sd"; fi
# eval on a dataset file applies the stored statistics: the run's test file
if mpi 2 train "$C" data.train="$tmp/train.h5" data.test="$tmp/test.h5" --out "$tmp/tt.h5" >/dev/null &&
  json=$(mpi 2 eval "$tmp/tt.h5" "$tmp/test.h5" --json); then
  same_metrics "eval RUN.h5 TEST.h5 (raw x10+5 rows) = the run's test metrics" "$tmp/tt.h5" "$json" test-only
else
  fail "train or eval RUN.h5 TEST.h5"
fi
# per-label features (linear scorer): statistics over instances and labels
if mpi 2 train "$C" data.train="$tmp/pl_scaled.h5" model.kind=linear_scorer --out "$tmp/plrun.h5" >/dev/null &&
  json=$(mpi 1 eval "$tmp/plrun.h5" --json); then
  same_metrics "eval RUN.h5 (per-label features x10+5, linear scorer) = the run's metrics" "$tmp/plrun.h5" "$json"
else
  fail "train or eval RUN.h5 (per-label)"
fi
# a quantile-transformed run (data.quantile): the knots are stored in /model
# and eval applies them, then the standardisation, on its own split and on a file
if mpi 2 train "$C" data.dataset=scaled data.csv_dir="$tmp/csv" data.folds=5 data.fold=2 data.quantile=true \
  --out "$tmp/qcv.h5" >/dev/null && json=$(mpi 3 eval "$tmp/qcv.h5" --json); then
  same_metrics "eval RUN.h5 of a quantile-transformed run (CSV, 5 folds, 3 ranks) = the run's metrics" "$tmp/qcv.h5" "$json"
else
  fail "train or eval RUN.h5 (CSV, data.quantile)"
fi
if mpi 2 train "$C" data.train="$tmp/train.h5" data.test="$tmp/test.h5" data.quantile=true --out "$tmp/q.h5" \
  >/dev/null && json=$(mpi 2 eval "$tmp/q.h5" "$tmp/test.h5" --json); then
  same_metrics "eval RUN.h5 TEST.h5 of a quantile-transformed run = the run's test metrics" "$tmp/q.h5" "$json" test-only
else
  fail "train or eval RUN.h5 TEST.h5 (data.quantile)"
fi
if $py -c "
import h5py, sys
g = h5py.File(sys.argv[1])['model']
q = g['x_quantiles'][...] if 'x_quantiles' in g else None
sys.exit(0 if q is not None and q.ndim == 2 and q.shape[1] >= 2 and (q[:, 1:] >= q[:, :-1]).all() and 'x_mean' in g else 1)" \
  "$tmp/q.h5" 2>/dev/null; then pass "/model holds x_quantiles (p x K, non-decreasing) and x_mean"
else fail "/model holds x_quantiles (p x K, non-decreasing) and x_mean"; fi
# a run on raw features has no statistics (as older files): eval still works
if mpi 2 train "$C" data.train="$tmp/train.h5" data.test="$tmp/test.h5" data.standardize=false --out "$tmp/raw.h5" \
  >/dev/null && json=$(mpi 2 eval "$tmp/raw.h5" "$tmp/test.h5" --json); then
  same_metrics "eval of a run without standardisation (no x_mean)" "$tmp/raw.h5" "$json" test-only
else
  fail "train or eval of a run without standardisation"
fi

# 5. one label in an HDF5 dataset
expect "HDF5 dataset with d = 1" "d1.h5': /Y has 1 label column: a ranking needs d >= 2" -- \
  train "$C" data.train="$tmp/d1.h5" --out "$tmp/x.h5" --force

# 8. feature statistics that are not finite
expect "feature of 1e200" "big.h5: feature 1 (0-based) of the training part: its standard deviation is not finite" -- \
  train "$C" data.train="$tmp/big.h5" data.test_fraction=0.2 --out "$tmp/x.h5" --force
expect "two rows of 1e308" "huge.h5: feature 2 (0-based) of the training part: its mean is not finite" -- \
  train "$C" data.train="$tmp/huge.h5" data.test_fraction=0.01 --out "$tmp/x.h5" --force

expect "a test value beyond range once standardised" "far.h5: row 3, feature 0 (0-based): not finite once standardised" -- \
  train "$C" data.train="$tmp/narrow.h5" data.test="$tmp/far.h5" --out "$tmp/x.h5" --force

# 6. --resume after the data changed. The run file is made incomplete as a
# run killed after its first epoch leaves it (complete = 0, one metrics row,
# the checkpoint at epoch 1: resume checks that they agree).
cp "$tmp/train.h5" "$tmp/moving.h5"
T=(data.train="$tmp/moving.h5" data.test="$tmp/test.h5")
mpi 2 train "$C" "${T[@]}" --out "$tmp/res.h5" >/dev/null || fail "train the run to resume"
incomplete() { $py "$here/unfinish_run.py" "$1"; }
cp "$tmp/res.h5" "$tmp/res_same.h5"
incomplete "$tmp/res.h5"
incomplete "$tmp/res_same.h5"
if mpi 2 train "$C" "${T[@]}" --out "$tmp/res_same.h5" --resume >/dev/null 2>"$tmp/err"; then
  pass "--resume with the same data"
else
  fail "--resume with the same data: $(cat "$tmp/err")"
fi
$py -c "import h5py,sys; f=h5py.File(sys.argv[1],'r+'); x=f['X'][...]; x[5,0]+=1; f['X'][...]=x" "$tmp/moving.h5"
expect "--resume after one value of the data changed" "cannot resume '$tmp/res.h5': its data differ" -- \
  train "$C" "${T[@]}" --out "$tmp/res.h5" --resume
if [ "$($py -c "import h5py,sys; print(int(h5py.File(sys.argv[1]).attrs['complete']))" "$tmp/res.h5")" = 0 ]; then
  pass "the refused run file is left as it was (complete = 0)"
else
  fail "the refused run file changed"
fi
expect "eval RUN.h5 after its data changed" "the data its configuration names differ" -- eval "$tmp/res_same.h5"
cp "$tmp/train.h5" "$tmp/moving.h5"

# 9. the parameter checksum runs at every checkpoint and at the end: the runs
# above on 2 ranks passed it, and so does one on 3
if mpi 3 train "$C" "${T[@]}" --out "$tmp/np3.h5" >/dev/null 2>"$tmp/err"; then
  pass "3 ranks, a checkpoint every epoch: the ranks' parameters agree"
else
  fail "3 ranks: $(cat "$tmp/err")"
fi

finish train_integrity
