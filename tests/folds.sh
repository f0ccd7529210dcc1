#!/usr/bin/env bash
# folds.sh PERTURB: `perturb folds` prints the folds training uses.
#  1. On a CSV of 37 rows whose features are the one-hot code of the row
#     (f_{i+1} = 1 on row i; a blank line inside, which the loader skips):
#     every row is in exactly one outer test fold, in every outer fold each
#     row has exactly one line, and the parts have the sizes of the k·n/K
#     formula (outer test parts, then the inner folds of each training part).
#  2. The folds are training's: a sweep of experiments/label_ranking/base.ini
#     over every outer fold and inner fold (−1 = the refit) standardises with
#     the statistics of its training part and stores them in the model; the
#     mean of feature i is 1/m when row i is one of the m training rows and 0
#     otherwise, so the stored means name the training rows, and they must be
#     the rows `perturb folds` gives for that point (the defaults against
#     base.ini, and --folds/--inner-folds/--seed against data.folds,
#     data.inner_folds and data.split_seed).
#  3. Partition checks on iris when PERTURB_LABEL_RANKING_DIR is set, and the
#     variable in place of --csv-dir.
#  4. Bad input: one line on stderr, nothing on stdout, exit 2 for a bad
#     command line and 1 for bad data (unknown dataset, missing directory,
#     more folds than rows) or a failed write.
set -uo pipefail
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
base=$here/../experiments/label_ranking/base.ini
. "$here/checks.sh"
py=/usr/bin/python3

# the one-hot dataset: 37 rows, 37 features, 3 labels
"$py" - "$tmp/onehot.csv" <<'PY'
import sys
n = 37
with open(sys.argv[1], "w") as f:
    f.write(",".join([f"f{j + 1}" for j in range(n)] + ["r1", "r2", "r3"]) + "\n")
    for i in range(n):
        ranks = [(i + s) % 3 + 1 for s in range(3)]
        f.write(",".join(["1" if j == i else "0" for j in range(n)] + [str(r) for r in ranks]) + "\n")
        if i == 4:
            f.write("\n")
PY

# check.py FOLDS.csv N K J: the partition and the sizes.
cat > "$tmp/check.py" <<'PY'
import csv, sys
path, n, K, J = sys.argv[1], *map(int, sys.argv[2:5])
rows = list(csv.reader(open(path)))
assert rows[0] == ["outer_fold", "row", "part"], f"header {rows[0]}"
body = rows[1:]
assert len(body) == n * K, f"{len(body)} lines, not n*K = {n * K}"
tests = [0] * n
for k in range(K):
    lines = body[k * n:(k + 1) * n]
    assert [int(r[0]) for r in lines] == [k] * n, f"outer fold {k}: lines out of order"
    assert [int(r[1]) for r in lines] == list(range(n)), f"outer fold {k}: rows not 0..{n - 1} once each"
    parts = [r[2] for r in lines]
    test = [i for i, p in enumerate(parts) if p == "test"]
    for i in test:
        tests[i] += 1
    want = (k + 1) * n // K - k * n // K
    assert len(test) == want, f"outer fold {k}: {len(test)} test rows, not {want}"
    m = n - want
    for j in range(J):
        got, want_j = parts.count(str(j)), (j + 1) * m // J - j * m // J
        assert got == want_j, f"outer fold {k}, inner fold {j}: {got} rows, not {want_j}"
    others = set(parts) - {"test"} - {str(j) for j in range(J)}
    assert not others, f"outer fold {k}: parts {others}"
bad = [i for i in range(n) if tests[i] != 1]
assert not bad, f"rows {bad[:5]} are not in exactly one outer test fold"
print(f"{n} rows, {K} outer and {J} inner folds")
PY

# same.py FOLDS.csv SWEEP_DIR: each point's standardisation names the rows of
# its training part, which must be those of FOLDS.csv.
cat > "$tmp/same.py" <<'PY'
import configparser, csv, glob, sys
import h5py
import numpy as np
folds = {}
for r in csv.DictReader(open(sys.argv[1])):
    folds.setdefault(int(r["outer_fold"]), {})[int(r["row"])] = r["part"]
points = sorted(glob.glob(sys.argv[2] + "/points/*.h5"))
assert points, "no points"
for p in points:
    with h5py.File(p, "r") as f:
        cfg = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
        cfg.read_string(f.attrs["config"])
        k, j = int(cfg["data"]["fold"]), int(cfg["data"]["inner_fold"])
        mean = f["model/x_mean"][...]
    parts = folds[k]
    drop = {"test"} if j < 0 else {"test", str(j)}
    want = sorted(i for i, part in parts.items() if part not in drop)
    got = sorted(int(i) for i in np.flatnonzero(mean > 0))
    assert got == want, f"{p} (fold {k}, inner fold {j}): trained on rows {got}, folds give {want}"
    assert np.all(mean[got] == 1.0 / len(want)), f"{p}: the means are not 1/{len(want)}"
print(f"{len(points)} points trained on the rows perturb folds gives")
PY

folds() { "$perturb" folds "$@" 2>"$tmp/err"; }
last() { printf '%s\n' "${1##*$'\n'}"; } # the last line of a message (a Python traceback's error)
sweep() { # OUT overrides...: a ridge sweep over all folds of the one-hot data
  local out=$1
  shift
  timeout 300 mpirun -q -n 1 "$perturb" sweep "$base" data.dataset=onehot data.csv_dir="$tmp" loss.kind=ridge \
    "$@" --out "$out" >"$tmp/sweep.log" 2>&1 || { echo "sweep failed:"; sed 's/^/    /' "$tmp/sweep.log"; return 1; }
}

# 1-2. defaults against base.ini
if folds --dataset onehot --csv-dir "$tmp" >"$tmp/f.csv" && msg=$("$py" "$tmp/check.py" "$tmp/f.csv" 37 10 5 2>&1); then
  pass "partition and sizes: $msg"
else
  fail "partition and sizes: $(cat "$tmp/err") $(last "$msg")"
fi
if folds --dataset onehot --csv-dir "$tmp" --folds 10 --inner-folds 5 --seed 0 | cmp -s - "$tmp/f.csv"; then
  pass "the defaults are --folds 10 --inner-folds 5 --seed 0"
else
  fail "explicit --folds 10 --inner-folds 5 --seed 0 differ from the defaults"
fi
if sweep "$tmp/s1" --grid data.fold=0,1,2,3,4,5,6,7,8,9 --grid data.inner_fold=-1,0,1,2,3,4 &&
  msg=$("$py" "$tmp/same.py" "$tmp/f.csv" "$tmp/s1" 2>&1); then
  pass "base.ini's folds (data.folds = 10, inner_folds = 5, split_seed = 0): $msg"
else
  fail "base.ini's folds: $(last "$msg")"
fi
# other values, to each its key
if folds --dataset onehot --csv-dir "$tmp" --folds 4 --inner-folds 3 --seed 7 >"$tmp/g.csv" &&
  msg=$("$py" "$tmp/check.py" "$tmp/g.csv" 37 4 3 2>&1) &&
  sweep "$tmp/s2" data.folds=4 data.inner_folds=3 data.split_seed=7 --grid data.fold=0,1,2,3 \
    --grid data.inner_fold=-1,0,1,2 && msg=$("$py" "$tmp/same.py" "$tmp/g.csv" "$tmp/s2" 2>&1); then
  pass "--folds 4 --inner-folds 3 --seed 7 = data.folds = 4, inner_folds = 3, split_seed = 7: $msg"
else
  fail "--folds 4 --inner-folds 3 --seed 7: $(cat "$tmp/err") $(last "$msg")"
fi
if ! cmp -s "$tmp/f.csv" <(folds --dataset onehot --csv-dir "$tmp" --seed 1); then
  pass "another seed gives other folds"
else
  fail "--seed 1 gives the folds of --seed 0"
fi

# 3. real data, through the environment variable
if [ -n "${PERTURB_LABEL_RANKING_DIR:-}" ] && [ -r "$PERTURB_LABEL_RANKING_DIR/iris.csv" ]; then
  if folds --dataset iris >"$tmp/iris.csv" && msg=$("$py" "$tmp/check.py" "$tmp/iris.csv" 150 10 5 2>&1) &&
    folds --dataset iris --csv-dir "$PERTURB_LABEL_RANKING_DIR" | cmp -s - "$tmp/iris.csv"; then
    pass "iris from \$PERTURB_LABEL_RANKING_DIR: $msg"
  else
    fail "iris: $(cat "$tmp/err") $(last "$msg")"
  fi
else
  echo "skip: iris (PERTURB_LABEL_RANKING_DIR is not set)"
fi

# 4. bad input
expect_error() { # STATUS args...
  local want=$1 rc
  shift
  "$perturb" folds "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -eq "$want" ] && [ "$(grep -c . "$tmp/err")" -eq 1 ] && [ ! -s "$tmp/out" ]; then
    pass "perturb folds $* -> $rc: $(cat "$tmp/err")"
  else
    fail "perturb folds $* -> exit $rc (want $want), stderr: $(cat "$tmp/err"), stdout $(wc -c <"$tmp/out") bytes"
  fi
}
expect_error 2
expect_error 2 --csv-dir "$tmp"
expect_error 2 --dataset
expect_error 2 --dataset onehot --csv-dir "$tmp" --folds 1
expect_error 2 --dataset onehot --csv-dir "$tmp" --folds x
expect_error 2 --dataset onehot --csv-dir "$tmp" --inner-folds 0
expect_error 2 --dataset onehot --csv-dir "$tmp" --seed -1
expect_error 2 --dataset onehot --csv-dir "$tmp" --frobnicate
expect_error 2 --dataset onehot --csv-dir "$tmp" --folds 3 --folds 4
expect_error 2 --dataset onehot --csv-dir "$tmp" extra
expect_error 1 --dataset nosuch --csv-dir "$tmp"
expect_error 1 --dataset onehot --csv-dir "$tmp/missing"
PERTURB_LABEL_RANKING_DIR= expect_error 1 --dataset onehot
expect_error 1 --dataset onehot --csv-dir "$tmp" --folds 38
expect_error 1 --dataset onehot --csv-dir "$tmp" --folds 10 --inner-folds 34
printf 'f1,r1,r2\n1,1,1\n' >"$tmp/tied.csv"
expect_error 1 --dataset tied --csv-dir "$tmp"
# a full disk: one line, exit 1
if [ -w /dev/full ]; then
  "$perturb" folds --dataset onehot --csv-dir "$tmp" >/dev/full 2>"$tmp/err"
  rc=$?
  if [ "$rc" -eq 1 ] && [ "$(grep -c . "$tmp/err")" -eq 1 ]; then
    pass "stdout on a full disk -> 1: $(cat "$tmp/err")"
  else
    fail "stdout on a full disk -> exit $rc: $(cat "$tmp/err")"
  fi
fi
finish folds
