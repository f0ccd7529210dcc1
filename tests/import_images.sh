#!/usr/bin/env bash
# import_images.sh PERTURB: `perturb import digits` and `perturb import
# cifar10` give classification dataset files with exactly the pixels and
# labels of their inputs (small files written here; the real digits of
# python3-sklearn when it is installed), `perturb info` describes them, and
# every bad input gives one line naming the file (and line or record), a
# non-zero exit and no output file (some cases under mpirun -n 2).
set -u
perturb=$1
. "$(dirname "$0")/checks.sh"
py=/usr/bin/python3

# expect NAME SUBSTRING [--np N] -- COMMAND...: non-zero exit (not a timeout),
# exactly one line on stderr, containing SUBSTRING, and no $tmp/bad.h5.
# Without --np the command runs as one process (no mpirun: quicker).
expect() {
  local name=$1 want=$2 np=0
  shift 2
  if [ "$1" = --np ]; then np=$2; shift 2; fi
  [ "$1" = -- ] && shift
  rm -f "$tmp/bad.h5"
  if [ "$np" -eq 0 ]; then
    timeout 120 "$perturb" "$@" >"$tmp/out" 2>"$tmp/err"
  else
    timeout 120 mpirun -q -n "$np" --oversubscribe "$perturb" "$@" >"$tmp/out" 2>"$tmp/err"
  fi
  local rc=$? lines
  lines=$(grep -c . "$tmp/err")
  if [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" "$tmp/err"; then
    fail "$name: exit $rc, $lines stderr lines (wanted one containing '$want'): $(head -3 "$tmp/err")"
  elif [ -e "$tmp/bad.h5" ]; then
    fail "$name: $tmp/bad.h5 was written"
  else
    pass "$name -> $(cat "$tmp/err")"
  fi
}

# ---- digits from small files -----------------------------------------------------
# Three rows with known values; pixel k of row i is (i + k) mod 17, label 2 i + 1.
$py - "$tmp" <<'PY'
import gzip, sys
t = sys.argv[1]
rows = [[(i + k) % 17 for k in range(64)] + [2 * i + 1] for i in range(3)]
text = "".join(",".join(map(str, r)) + "\n" for r in rows)
with gzip.open(f"{t}/small.csv.gz", "wt") as f: f.write(text)
open(f"{t}/small.csv", "w").write(text)
def bad(name, line):
    with gzip.open(f"{t}/{name}.csv.gz", "wt") as f: f.write(",".join(map(str, rows[0])) + "\n" + line + "\n")
bad("short", ",".join(["1"] * 63) + ",5")
bad("long", ",".join(["1"] * 66))
bad("nonnum", ",".join(["1"] * 10 + ["x1"] + ["1"] * 53) + ",4")
bad("label", ",".join(["1"] * 64) + ",10")
bad("labeltext", ",".join(["1"] * 64) + ",seven")
with gzip.open(f"{t}/empty.csv.gz", "wt") as f: pass
whole = gzip.compress(text.encode())
open(f"{t}/cut.csv.gz", "wb").write(whole[: len(whole) // 2])
PY
for src in small.csv.gz small.csv; do
  if "$perturb" import digits --from "$tmp/$src" --out "$tmp/small_$src.h5" >"$tmp/out" 2>"$tmp/err"; then
    if $py - "$tmp/small_$src.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    X, L, a = f["X"][...], f["labels"][...], dict(f.attrs)
    assert "Y" not in f and "ranks" not in f, list(f)
want = np.array([[(i + k) % 17 for k in range(64)] for i in range(3)], float).reshape(3, 1, 8, 8)
assert X.dtype == np.float64 and X.shape == (3, 1, 8, 8) and np.array_equal(X, want), X
assert L.dtype == np.int32 and list(L) == [1, 3, 5], L
assert a["task"] == "classification" and a["classes"] == 10 and a["name"] == "digits", a
PY
    then pass "digits --from $src: 3 images 1x8x8, pixels and labels exact"
    else fail "digits --from $src: wrong contents"; fi
  else
    fail "digits --from $src: $(cat "$tmp/err")"
  fi
done
"$perturb" info "$tmp/small_small.csv.gz.h5" >"$tmp/out" 2>&1
grep -qF "(classification), 3 instances, 10 classes, 64 features (images 1 x 8 x 8)" "$tmp/out" &&
  pass "info: $(head -1 "$tmp/out")" || fail "info: $(cat "$tmp/out")"

expect "digits: short row" "$tmp/short.csv.gz:2: the row is too short (64 fields" -- \
  import digits --from "$tmp/short.csv.gz" --out "$tmp/bad.h5"
expect "digits: long row" "$tmp/long.csv.gz:2: the row is too long" -- \
  import digits --from "$tmp/long.csv.gz" --out "$tmp/bad.h5"
expect "digits: not a number" "$tmp/nonnum.csv.gz:2: pixel 11 is not a finite number: 'x1'" --np 2 -- \
  import digits --from "$tmp/nonnum.csv.gz" --out "$tmp/bad.h5"
expect "digits: label 10" "$tmp/label.csv.gz:2: label 10 is not a digit 0..9" -- \
  import digits --from "$tmp/label.csv.gz" --out "$tmp/bad.h5"
expect "digits: label not an integer" "$tmp/labeltext.csv.gz:2: the label is not an integer: 'seven'" -- \
  import digits --from "$tmp/labeltext.csv.gz" --out "$tmp/bad.h5"
expect "digits: no rows" "'$tmp/empty.csv.gz' holds no rows" -- \
  import digits --from "$tmp/empty.csv.gz" --out "$tmp/bad.h5"
expect "digits: cut gzip" "'$tmp/cut.csv.gz' is cut short" -- \
  import digits --from "$tmp/cut.csv.gz" --out "$tmp/bad.h5"
expect "digits: --from without a file" "option --from expects a file name" -- import digits --out "$tmp/bad.h5" --from
expect "digits: a positional file" "takes no file arguments (use --from FILE)" -- \
  import digits "$tmp/small.csv" --out "$tmp/bad.h5"
expect "digits: existing output" "exists: use --force" -- \
  import digits --from "$tmp/small.csv" --out "$tmp/small_small.csv.h5"

# ---- the real digits (python3-sklearn) ---------------------------------------
if dpkg-query -W -f='${Status}' python3-sklearn 2>/dev/null | grep -q "install ok installed"; then
  if "$perturb" import digits --out "$tmp/digits.h5" >"$tmp/out" 2>"$tmp/err"; then
    if $py - "$tmp/digits.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    X, L, a = f["X"][...], f["labels"][...], dict(f.attrs)
assert X.shape == (1797, 1, 8, 8) and L.shape == (1797,), (X.shape, L.shape)
assert a["classes"] == 10 and set(np.unique(L)) == set(range(10)), a
counts = np.bincount(L, minlength=10)
assert counts.sum() == 1797 and counts.min() > 0, counts
assert X.min() == 0 and X.max() == 16 and np.array_equal(X, np.round(X)), (X.min(), X.max())
try:
    from sklearn.datasets import load_digits
except ImportError:
    sys.exit(0)
d = load_digits()
assert np.array_equal(X.reshape(1797, 64), d.data) and np.array_equal(L, d.target), "differs from sklearn"
print("same as sklearn.datasets.load_digits")
PY
    then pass "real digits: 1797 rows, 10 classes, counts sum to 1797, pixels 0..16"
    else fail "real digits: wrong contents"; fi
    "$perturb" info "$tmp/digits.h5" >"$tmp/out" 2>&1
    grep -qF "1797 instances, 10 classes, 64 features (images 1 x 8 x 8)" "$tmp/out" &&
      pass "info digits: $(head -1 "$tmp/out")" || fail "info digits: $(cat "$tmp/out")"
  else
    fail "real digits: $(cat "$tmp/err")"
  fi
else
  echo "note: python3-sklearn is not installed: the real digits are not imported"
fi

# ---- CIFAR-10 --------------------------------------------------------------------
# Record r of the test (over both files): label (3 r + 1) mod 10, pixel k of
# the 3072 (red, green, blue planes) (7 r + k) mod 256.
$py - "$tmp" <<'PY'
import sys
t = sys.argv[1]
def rec(r):
    return bytes([(3 * r + 1) % 10]) + bytes((7 * r + k) % 256 for k in range(3072))
open(f"{t}/a.bin", "wb").write(b"".join(rec(r) for r in range(3)))
open(f"{t}/b.bin", "wb").write(b"".join(rec(r) for r in range(3, 5)))
open(f"{t}/empty.bin", "wb").close()
open(f"{t}/odd.bin", "wb").write(rec(0) + rec(1)[:100])
open(f"{t}/label.bin", "wb").write(rec(0) + rec(1) + bytes([10]) + rec(2)[1:])
PY
if "$perturb" import cifar10 --out "$tmp/c.h5" "$tmp/a.bin" "$tmp/b.bin" >"$tmp/out" 2>"$tmp/err"; then
  if $py - "$tmp/c.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    X, L, a = f["X"][...], f["labels"][...], dict(f.attrs)
assert X.dtype == np.float64 and X.shape == (5, 3, 32, 32), X.shape
want = np.array([[(7 * r + k) % 256 for k in range(3072)] for r in range(5)], float).reshape(5, 3, 32, 32)
assert np.array_equal(X, want), "pixels differ"
assert list(L) == [(3 * r + 1) % 10 for r in range(5)], L
assert a["task"] == "classification" and a["classes"] == 10 and a["name"] == "cifar10", a
PY
  then pass "cifar10: 5 records of two files in order, 3x32x32 pixels and labels exact"
  else fail "cifar10: wrong contents"; fi
else
  fail "cifar10: $(cat "$tmp/err")"
fi
"$perturb" info "$tmp/c.h5" >"$tmp/out" 2>&1
grep -qF "5 instances, 10 classes, 3072 features (images 3 x 32 x 32)" "$tmp/out" &&
  pass "info cifar10: $(head -1 "$tmp/out")" || fail "info cifar10: $(cat "$tmp/out")"

expect "cifar10: size not a multiple" "'$tmp/odd.bin' is not CIFAR-10 records: its 3173 bytes are not a multiple of 3073 (100 left over)" \
  --np 2 -- import cifar10 --out "$tmp/bad.h5" "$tmp/a.bin" "$tmp/odd.bin"
expect "cifar10: empty file" "'$tmp/empty.bin' is empty" -- import cifar10 --out "$tmp/bad.h5" "$tmp/empty.bin"
expect "cifar10: label 10" "'$tmp/label.bin': record 2 (0-based) has label 10, not a class 0..9" -- \
  import cifar10 --out "$tmp/bad.h5" "$tmp/a.bin" "$tmp/label.bin"
expect "cifar10: missing file" "cannot open '$tmp/none.bin'" -- import cifar10 --out "$tmp/bad.h5" "$tmp/none.bin"
chmod 000 "$tmp/b.bin"
if [ "$(id -u)" -ne 0 ]; then
  expect "cifar10: unreadable file" "cannot open '$tmp/b.bin'" -- import cifar10 --out "$tmp/bad.h5" "$tmp/b.bin"
fi
chmod 644 "$tmp/b.bin"
expect "cifar10: no files" "expects one or more CIFAR-10 .bin files" -- import cifar10 --out "$tmp/bad.h5"
expect "cifar10: output is an input" "dataset file" -- import cifar10 --out "$tmp/a.bin" --force "$tmp/a.bin"
[ "$(stat -c %s "$tmp/a.bin")" -eq 9219 ] && pass "the input is untouched" || fail "a.bin changed"

finish import_images
