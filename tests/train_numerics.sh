#!/usr/bin/env bash
# train_numerics.sh PERTURB: the numbers a run reports are the true ones.
#  1. Loss sums are exact at any size: the squared loss at θ ≈ 0 (Adam with
#     optim.lr = 1e-300 keeps every θ_ij below 1e-290, so (θ − y)² = y² in
#     double) with d = 1000 labels and n = 10000 training instances, whose
#     per-epoch sum (3.3e12) overflowed the former 64-bit fixed point, and
#     with d = 1500, whose per-instance terms (1.1e9) exceeded its 2^30 bound
#     ("diverged"), equals numpy's double-precision mean of Σ_j y_ij². Both
#     sums are of integers below 2^53, so both are exact: the tolerance
#     (relative 1e-12) only allows for the final division. d = 1000 on 1 and
#     2 ranks: bitwise the same run. experiments/perf/affine.ini with the squared loss and
#     lr = 1e-6 reports a positive loss.
#  2. Spearman with tied scores uses average ranks: a constant model (every
#     parameter 0) on glass scores 0, and ranks nothing exactly.
#  3. Non-finite numbers stop the run: ε = 1e-300 with the perturbed squared
#     loss and Adam overflows the second moment at the first step: exit 1, one
#     line naming the epoch, the step and what became non-finite, and no run
#     file marked complete.
set -u
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"
export OMPI_MCA_rmaps_base_oversubscribe=1
csv_dir=${PERTURB_LABEL_RANKING_DIR:-$here/../../shared/data/label_ranking}  # the repository's ../shared

run() { timeout 300 mpirun -q -n "$@"; }
printf '[train]\nepochs = 1\n' >"$tmp/one.ini" # the defaults, one epoch

# ---- 1. exact loss sums --------------------------------------------------------------------
big="synthetic.kind=affine synthetic.features=2 synthetic.sigma=0"
for d in 1000 1500; do
  n=10000 nps="1 2"
  [ "$d" = 1500 ] && n=200 nps=1 # the bound, not the count, is the point here
  "$perturb" gen $big synthetic.labels=$d synthetic.n=$n synthetic.seed=1 --out "$tmp/d$d.train.h5" >/dev/null &&
    "$perturb" gen $big synthetic.labels=$d synthetic.n=20 synthetic.seed=2 --out "$tmp/d$d.test.h5" >/dev/null ||
    { fail "cannot generate d = $d data"; continue; }
  for np in $nps; do
    if ! run $np "$perturb" train "$tmp/one.ini" data.train="$tmp/d$d.train.h5" data.test="$tmp/d$d.test.h5" loss.kind=squared \
      optim.kind=adam optim.lr=1e-300 train.epochs=1 train.batch_size=64 --out "$tmp/d$d.np$np.h5" \
      >"$tmp/out" 2>"$tmp/err"; then
      fail "d = $d on $np rank(s): training failed: $(head -c 300 "$tmp/err")"
      continue
    fi
    if out=$(/usr/bin/python3 - "$tmp/d$d.np$np.h5" "$tmp/d$d.train.h5" <<'PY' 2>&1
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    loss = float(f["metrics"]["train_loss"][-1])
    w = f["model/params"][...]
with h5py.File(sys.argv[2], "r") as f:
    Y = f["Y"][...]
assert np.max(np.abs(w)) < 1e-290, f"the parameters moved: max |w| = {np.max(np.abs(w))}"
want = np.sum(Y * Y, dtype=np.float64) / Y.shape[0]
assert abs(loss - want) <= 1e-12 * want, f"train_loss {loss!r}, numpy {want!r}"
print(f"n = {Y.shape[0]}, d = {Y.shape[1]}: train_loss {loss!r} = numpy {want!r}")
PY
    ); then pass "$np rank(s): $out"; else fail "d = $d on $np rank(s): $out"; fi
  done
  [ "$nps" = 1 ] && continue
  if out=$(/usr/bin/python3 "$here/compare_runs.py" "$tmp/d$d.np1.h5" "$tmp/d$d.np2.h5" 2>&1); then
    pass "d = $d on 1 and 2 ranks: $out"
  else
    fail "d = $d on 1 and 2 ranks: $(echo "$out" | tail -1)"
  fi
done
if run 1 "$perturb" train "$here/../experiments/perf/affine.ini" loss.kind=squared optim.lr=1e-6 train.epochs=1 \
  --json --out "$tmp/affine.h5" >"$tmp/out" 2>"$tmp/err" &&
  loss=$(/usr/bin/python3 -c "import json, sys; print(json.loads(open(sys.argv[1]).readline())['train_loss'])" \
    "$tmp/out") && /usr/bin/python3 -c "import sys; assert float(sys.argv[1]) > 0" "$loss"; then
  pass "affine.ini, squared loss, lr = 1e-6: loss $loss > 0"
else
  fail "affine.ini, squared loss, lr = 1e-6: loss ${loss:-?} ($(head -c 300 "$tmp/err"))"
fi

# ---- 2. a constant model on glass ----------------------------------------------------------
if [ -r "$csv_dir/glass.csv" ]; then
  "$perturb" import "$csv_dir/glass.csv" --out "$tmp/glass.h5" >/dev/null &&
    run 1 "$perturb" train "$tmp/one.ini" data.train="$tmp/glass.h5" data.test="$tmp/glass.h5" loss.kind=squared train.epochs=1 \
      --out "$tmp/glass.run.h5" >/dev/null 2>"$tmp/err" &&
    /usr/bin/python3 - "$tmp/glass.run.h5" <<'PY'
import sys
import h5py
with h5py.File(sys.argv[1], "r+") as f:
    for name in f["model"]:
        f["model"][name][...] = 0.0
PY
  for np in 1 2; do
    if out=$(run $np "$perturb" eval "$tmp/glass.run.h5" "$tmp/glass.h5" --json 2>&1) &&
      /usr/bin/python3 -c "
import json, sys
r = json.loads(sys.argv[1])
assert r['spearman'] == 0.0 and r['exact'] == 0.0, r" "$out" 2>/dev/null; then
      pass "constant model on glass, $np rank(s): $out"
    else
      fail "constant model on glass, $np rank(s): $out (want spearman 0, exact 0)"
    fi
  done
else
  fail "no glass.csv in $csv_dir (set PERTURB_LABEL_RANKING_DIR)"
fi

# ---- 3. non-finite numbers -------------------------------------------------------------------
"$perturb" gen synthetic.n=100 synthetic.labels=5 synthetic.features=3 --out "$tmp/small.h5" >/dev/null
run 2 "$perturb" train "$tmp/one.ini" data.train="$tmp/small.h5" loss.kind=perturbed_squared loss.epsilon=1e-300 optim.kind=adam \
  train.epochs=2 --out "$tmp/eps.h5" >"$tmp/out" 2>"$tmp/err"
rc=$?
lines=$(grep -c . "$tmp/err")
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$lines" -eq 1 ] && grep -q "epoch 1, step 1: .*non-finite" "$tmp/err"; then
  pass "epsilon = 1e-300: exit $rc -> $(cat "$tmp/err")"
else
  fail "epsilon = 1e-300: exit $rc, $lines stderr lines (wanted one naming epoch, step, non-finite): $(head -c 300 "$tmp/err")"
fi
if [ ! -e "$tmp/eps.h5" ] ||
  /usr/bin/python3 -c "import sys, h5py; assert int(h5py.File(sys.argv[1], 'r').attrs['complete']) == 0" "$tmp/eps.h5"; then
  pass "epsilon = 1e-300: no run file marked complete"
else
  fail "epsilon = 1e-300: the run file is marked complete"
fi

finish train_numerics
