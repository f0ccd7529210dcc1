#!/usr/bin/env bash
# train_errors.sh PERTURB: bad input to the engine gives one clear line on
# stderr naming the file, key or value, a non-zero exit status, and no rank
# left hanging (every case runs under mpirun with 2 ranks and a timeout).
# mpirun -q keeps Open MPI's own notices about the non-zero exit out of the way.
set -u
perturb=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
checks=0

# expect NAME SUBSTRING [--np N] -- COMMAND...: non-zero exit (not a timeout),
# exactly one line on stderr, containing SUBSTRING.
expect() {
  local name=$1 want=$2 np=2
  shift 2
  if [ "$1" = --np ]; then np=$2; shift 2; fi
  [ "$1" = -- ] && shift
  checks=$((checks + 1))
  timeout 120 mpirun -q -n "$np" --oversubscribe "$perturb" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$? lines
  lines=$(grep -c . "$tmp/err")
  if [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" "$tmp/err"; then
    echo "FAIL: $name: exit $rc, $lines stderr lines (wanted one containing '$want'):"
    sed 's/^/    /' "$tmp/err" | head -5
    fails=$((fails + 1))
  else
    echo "ok: $name -> $(cat "$tmp/err")"
  fi
}

cat > "$tmp/good.ini" <<'INI'
[synthetic]
n = 60
labels = 5
features = 3
[train]
epochs = 1
batch_size = 4
INI
"$perturb" gen "$tmp/good.ini" --out "$tmp/data.h5" >/dev/null || { echo "FAIL: cannot generate data"; exit 1; }
"$perturb" gen "$tmp/good.ini" synthetic.kind=affine --out "$tmp/affine.h5" >/dev/null
printf 'not an HDF5 file\n' > "$tmp/text.h5"
# broken copies of a good dataset, made with h5py
/usr/bin/python3 - "$tmp" <<'PY'
import shutil, sys, h5py, numpy as np
t = sys.argv[1]
for name in ["nan", "ranks", "nox"]:
    shutil.copy(f"{t}/data.h5", f"{t}/{name}.h5")
with h5py.File(f"{t}/nan.h5", "r+") as f:
    x = f["X"][...]; x[7, 1, 2] = np.nan; f["X"][...] = x
with h5py.File(f"{t}/ranks.h5", "r+") as f:
    r = f["ranks"][...]; r[3, 0] = r[3, 1]; f["ranks"][...] = r
with h5py.File(f"{t}/nox.h5", "r+") as f:
    del f["X"]
PY
printf '[loss]\nepsilonn = 1\n' > "$tmp/badkey.ini"
printf '[los]\nepsilon = 1\n' > "$tmp/badsection.ini"
printf 'f1,f2,r1,r2,r3\n1,2,1,2,3\n3,4,1,2\n' > "$tmp/short.csv"
printf 'f1,f2,r1,r2,r3\n1,2,1,2,3\n3,x,1,2,3\n' > "$tmp/text.csv"
printf 'f1,f2,r1,r2,r3\n1,2,1,2,3\n3,4,1,1,3\n' > "$tmp/perm.csv"

G=$tmp/good.ini
O=(--out "$tmp/run.h5" --force)
expect "missing config file" "nonexistent.ini" -- train "$tmp/nonexistent.ini" "${O[@]}"
expect "missing data file" "missing.h5" -- train "$G" data.train="$tmp/missing.h5" "${O[@]}"
expect "not HDF5" "is not an HDF5 file" -- train "$G" data.train="$tmp/text.h5" "${O[@]}"
expect "HDF5 without /X" "X" -- train "$G" data.train="$tmp/nox.h5" "${O[@]}"
expect "NaN in features" "nan.h5" -- train "$G" data.train="$tmp/nan.h5" "${O[@]}"
expect "ranks not a permutation" "permutation" -- train "$G" data.train="$tmp/ranks.h5" "${O[@]}"
expect "data and model disagree" "model.kind" -- train "$G" data.train="$tmp/affine.h5" model.kind=linear_scorer "${O[@]}"
expect "train and test disagree" "test data" -- train "$G" data.train="$tmp/data.h5" data.test="$tmp/affine.h5" "${O[@]}"
expect "unknown key" "epsilonn" -- train "$tmp/badkey.ini" "${O[@]}"
expect "unknown section" "[los]" -- train "$tmp/badsection.ini" "${O[@]}"
expect "unknown override" "loss.epsilonn" -- train "$G" loss.epsilonn=1 "${O[@]}"
expect "epsilon = 0" "loss.epsilon must be > 0" -- train "$G" loss.epsilon=0 "${O[@]}"
expect "epsilon < 0" "loss.epsilon must be > 0" -- train "$G" loss.epsilon=-1 "${O[@]}"
expect "M = 0" "loss.samples" -- train "$G" loss.samples=0 "${O[@]}"
expect "batch size 0" "train.batch_size" -- train "$G" train.batch_size=0 "${O[@]}"
expect "unwritable output" "nonexistent-dir" -- train "$G" --out "$tmp/nonexistent-dir/run.h5"
"$perturb" train "$G" --out "$tmp/exists.h5" >/dev/null 2>&1
expect "existing run file" "--force" -- train "$G" --out "$tmp/exists.h5"
expect "resume a complete run" "complete" -- train "$G" --out "$tmp/exists.h5" --resume
expect "resume with another config" "differs" -- train "$G" loss.epsilon=2 --out "$tmp/exists.h5" --resume
expect "more ranks than pairs (FY)" "cannot share" --np 3 -- train "$G" train.batch_size=1 loss.samples=2 "${O[@]}"
expect "more ranks than instances (squared)" "cannot share" --np 3 -- train "$G" loss.kind=squared train.batch_size=2 "${O[@]}"
mkdir -p "$tmp/csvdir"
printf 'f1,f2,r1,r2,r3\n1,2,1,2,3\n3,4,3,1,2\n5,6,2,3,1\n' > "$tmp/csvdir/three.csv"
expect "missing dataset directory" "cannot read the dataset directory" -- train "$G" data.dataset=three data.csv_dir="$tmp/nodir" "${O[@]}"
expect "dataset not present" "no dataset 'nope'" -- train "$G" data.dataset=nope data.csv_dir="$tmp/csvdir" "${O[@]}"
expect "more folds than instances" "data.folds = 5 exceeds the 3 instances" -- train "$G" data.dataset=three data.csv_dir="$tmp/csvdir" data.folds=5 "${O[@]}"
expect "fold out of range" "data.fold = 3" -- train "$G" data.folds=3 data.fold=3 "${O[@]}"
expect "CSV short row" "short row" -- import "$tmp/short.csv" --out "$tmp/x.h5"
expect "CSV text in a number" "is not a number" -- import "$tmp/text.csv" --out "$tmp/x.h5"
expect "CSV ranks not a permutation" "permutation" -- import "$tmp/perm.csv" --out "$tmp/x.h5"
expect "eval of a dataset, not a run" "not a perturb run file" -- eval "$tmp/data.h5" "$tmp/data.h5"
expect "unknown option" "unknown option" -- train "$G" --frobnicate "${O[@]}"
expect "missing --out" "missing --out" -- train "$G"
expect "ridge with unpenalised biases" "model.l2_biases = false: loss.kind = ridge penalises" -- train "$G" data.train="$tmp/affine.h5" loss.kind=ridge model.l2_biases=false "${O[@]}"
expect "model.hidden with another separator" "separated by commas or x (64x64), or none for no layer" -- train "$G" data.train="$tmp/affine.h5" model.kind=mlp model.hidden=8/8 "${O[@]}"
expect "model.hidden a word" "model.hidden = 'zero': want layer sizes" -- train "$G" data.train="$tmp/affine.h5" model.kind=mlp model.hidden=zero "${O[@]}"
# an unknown kernel instruction set: one line from the two ranks, not one each
PERTURB_SIMD=sse9 expect "PERTURB_SIMD unknown" "SIMD path 'sse9' is not one of" -- train "$G" "${O[@]}"
echo "train_errors: $checks checks, $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
