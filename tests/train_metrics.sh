#!/usr/bin/env bash
# train_metrics.sh PERTURB: the training-set columns of the metrics table
# (train_spearman, train_exact), for train-vs-test curves.
#  1. Like the test columns, they are NaN exactly on the epochs without
#     evaluation (train.eval_every) and set on the others and the last; on the
#     last epoch they equal a recomputation (numpy) from the final model and
#     the training data — FY with the linear scorer, squared with the affine
#     model, ridge — and the test columns do likewise on the test data.
#  2. The same bits on 1 and 3 ranks (the training rows are shared over ranks).
#  3. --json prints them on each epoch's line (null when not evaluated),
#     equal to the file's columns; `perturb info` shows the last epoch's.
#  4. A version 1 run file (written before the columns existed) still reads:
#     `perturb info` shows them as nan.
#  5. train.min_steps raises the epochs of a small training set, and only then.
set -euo pipefail
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/checks.sh"
train() { # np out args...
  local np=$1 out=$2
  shift 2
  timeout 300 mpirun -q -n "$np" --oversubscribe "$perturb" train "$tmp/c.ini" "$@" --out "$tmp/$out.h5" --force \
    >"$tmp/$out.out" 2>"$tmp/$out.err" || { echo "perturb train $* failed:"; sed 's/^/    /' "$tmp/$out.err"; return 1; }
}

cat > "$tmp/c.ini" <<'INI'
[synthetic]
labels = 6
features = 4
sigma = 0.2
seed = 8
[loss]
samples = 4
[train]
epochs = 7
batch_size = 10
eval_every = 3
seed = 5
INI
# training and test files: the first 150 and the last 50 instances of one draw
for kind in per_label affine; do
  "$perturb" gen "$tmp/c.ini" synthetic.kind=$kind synthetic.n=200 --out "$tmp/$kind.h5" >/dev/null
  /usr/bin/python3 - "$tmp/$kind" <<'PY'
import sys
import h5py
with h5py.File(f"{sys.argv[1]}.h5", "r") as f:
    for part, rows in [("train", slice(0, 150)), ("test", slice(150, 200))]:
        with h5py.File(f"{sys.argv[1]}.{part}.h5", "w") as g:
            g.attrs.update(f.attrs)
            for name in ["X", "Y", "ranks"]:
                g[name] = f[name][rows]
PY
done

# check.py RUN.h5 TRAIN.h5 TEST.h5 EVAL_EPOCHS: the NaN pattern, and the last
# epoch's rank metrics against numpy on each part.
cat > "$tmp/check.py" <<'PY'
import sys
import h5py
import numpy as np

run, train, test, evaluated = sys.argv[1], sys.argv[2], sys.argv[3], {int(e) for e in sys.argv[4].split(",")}
with h5py.File(run, "r") as f:
    w, m = f["model/params"][...], f["metrics"][...]
cols = ["test_spearman", "test_exact", "train_spearman", "train_exact"]
for row in m:
    nan = [bool(np.isnan(row[c])) for c in cols]
    want = row["epoch"] not in evaluated
    assert nan == [want] * 4, f"epoch {row['epoch']}: NaN pattern {nan}, evaluated: {not want}"


def metrics(path):
    with h5py.File(path, "r") as f:
        X, Y = f["X"][...], f["Y"][...]
    n, d = Y.shape
    if X.ndim == 3:
        theta = X @ w[:-1] + w[-1]
    else:
        p = X.shape[1]
        theta = X @ w[: d * p].reshape(d, p).T + w[d * p:]
    yhat = np.argsort(np.argsort(theta, axis=1), axis=1)  # y = d - rank: how many labels score lower
    sq = np.sum((yhat - Y) ** 2, axis=1)
    return np.mean(1 - 6 * sq / (d * (d * d - 1))), np.mean(sq == 0)


last = m[-1]
for part, path in [("test", test), ("train", train)]:
    spearman, exact = metrics(path)
    assert abs(last[f"{part}_spearman"] - spearman) < 1e-12, f"{part}_spearman {last[f'{part}_spearman']} vs {spearman}"
    assert last[f"{part}_exact"] == exact, f"{part}_exact {last[f'{part}_exact']} vs {exact}"
print(f"{len(m)} rows, evaluated at epochs {sorted(evaluated)}; last: train spearman {last['train_spearman']:.4f} "
      f"exact {last['train_exact']:.4f}, test spearman {last['test_spearman']:.4f} exact {last['test_exact']:.4f}")
PY

# ---- 1, 2. values, NaN pattern, ranks -------------------------------------------------
cases=("fy per_label" "squared affine" "ridge affine")
for c in "${cases[@]}"; do
  set -- $c
  data=(data.train="$tmp/$2.train.h5" data.test="$tmp/$2.test.h5")
  evaluated=3,6,7
  [ "$1" = ridge ] && evaluated=1
  for np in 1 3; do train "$np" "$1.np$np" "${data[@]}" loss.kind=$1; done
  if out=$(/usr/bin/python3 "$tmp/check.py" "$tmp/$1.np1.h5" "$tmp/$2.train.h5" "$tmp/$2.test.h5" $evaluated 2>&1); then
    pass "$1, $2: $out"
  else
    fail "$1, $2: $out"
  fi
  if out=$(/usr/bin/python3 "$here/compare_runs.py" "$tmp/$1.np1.h5" "$tmp/$1.np3.h5" 2>&1); then
    pass "$1, $2 on 1 and 3 ranks: $out"
  else
    fail "$1, $2 on 1 and 3 ranks: $out"
  fi
done

# ---- 3. --json and info ---------------------------------------------------------------------
train 2 json data.train="$tmp/affine.train.h5" data.test="$tmp/affine.test.h5" loss.kind=squared --json
if out=$(/usr/bin/python3 - "$tmp/json.out" "$tmp/json.h5" <<'PY' 2>&1
import json, math, sys
import h5py
lines = [json.loads(l) for l in open(sys.argv[1])]  # strict JSON: NaN would not parse as null
with h5py.File(sys.argv[2], "r") as f:
    m = f["metrics"][...]
assert len(lines) == len(m), f"{len(lines)} JSON lines, {len(m)} rows"
for line, row in zip(lines, m):
    for c in ["train_loss", "test_spearman", "test_exact", "train_spearman", "train_exact"]:
        v = line[c]
        assert (v is None and math.isnan(row[c])) or v == row[c], f"epoch {row['epoch']}: {c} {v} vs {row[c]}"
print(f"{len(lines)} JSON lines match the table (null where not evaluated)")
PY
); then pass "$out"; else fail "--json: $out"; fi
info=$("$perturb" info "$tmp/json.h5" | sed -n 2p)
want=$(/usr/bin/python3 -c "
import sys, h5py
r = h5py.File(sys.argv[1], 'r')['metrics'][-1]
print(f\"train spearman {r['train_spearman']:.4f}, exact {r['train_exact']:.4f}\")" "$tmp/json.h5")
if [[ "$info" == *"$want"* ]]; then pass "info: $info"; else fail "info: '$info' lacks '$want'"; fi

# ---- 4. a version 1 run file ------------------------------------------------------------------
/usr/bin/python3 - "$tmp/json.h5" "$tmp/v1.h5" <<'PY'
import shutil, sys
import h5py
import numpy as np
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r+") as f:
    m = f["metrics"][...]
    old = [n for n in m.dtype.names if not n.startswith("train_") or n == "train_loss"]
    v1 = np.empty(len(m), dtype=[(n, m.dtype[n]) for n in old])
    for n in old:
        v1[n] = m[n]
    del f["metrics"]
    f.create_dataset("metrics", data=v1, maxshape=(None,), chunks=(64,))
    f.attrs["format_version"] = 1
PY
if info=$("$perturb" info "$tmp/v1.h5" 2>&1) && echo "$info" | sed -n 2p | grep -q "train spearman nan, exact nan" &&
   echo "$info" | sed -n 2p | grep -q "test spearman [0-9]"; then
  pass "version 1 file: $(echo "$info" | sed -n 2p)"
else
  fail "version 1 file: $info"
fi

# ---- 5. train.min_steps raises the epochs of a small training set ----------------------------
# 150 instances in batches of 10: 15 steps per epoch; 7 epochs = 105 steps < 200,
# so the run takes ceil(200 / 15) = 14 epochs (210 steps); with min_steps = 100 it keeps 7.
for want in "200 14 210" "100 7 105"; do
  set -- $want
  train 2 minsteps data.train="$tmp/affine.train.h5" data.test="$tmp/affine.test.h5" loss.kind=squared \
    train.min_steps="$1" train.eval_every=1000
  got=$(/usr/bin/python3 -c 'import sys, h5py; m = h5py.File(sys.argv[1], "r")["metrics"][-1]; print(m["epoch"], m["step"])' \
    "$tmp/minsteps.h5")
  [ "$got" = "$2 $3" ] && pass "min_steps=$1: $2 epochs, $3 steps" || fail "min_steps=$1: got epochs/steps '$got', want '$2 $3'"
done

finish train_metrics
