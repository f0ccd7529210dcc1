#!/usr/bin/env bash
# config_errors.sh PERTURB: issue #8 items 4 and 17 end to end.
#  - contradictory keys (a fold without folds, a test file with folds, ...),
#    a key given twice on the command line, an option given twice, and a lone
#    section.key each give one line naming both keys (or both overrides), a
#    non-zero exit, and write nothing; for train and for sweep;
#  - control bytes from a CSV cell or an INI value are escaped in the
#    message; CR-only line ends load (CSV and INI) like LF ones;
#  - a 300-character directory path works through gen, train, resume, eval
#    and sweep (started twice), from a file and from overrides.
set -u
perturb=$1
. "$(dirname "$0")/checks.sh"

# on NP ARGS...: perturb ARGS under mpirun with NP ranks (not as an MPI
# singleton, where LeakSanitizer's exit check sometimes crashes).
on() {
  local np=$1
  shift
  timeout 120 mpirun -q -n "$np" --oversubscribe "$perturb" "$@"
}

# expect NAME SUBSTRING [--np N] -- ARGS...: non-zero exit (not a timeout),
# exactly one line on stderr, containing SUBSTRING. One rank unless --np:
# every error comes from code that all ranks run alike, and the cases with
# two ranks show that they agree.
expect() {
  local name=$1 want=$2 np=1
  shift 2
  if [ "$1" = --np ]; then np=$2; shift 2; fi
  [ "$1" = -- ] && shift
  on "$np" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$? lines
  lines=$(grep -c . "$tmp/err")
  if [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" "$tmp/err"; then
    fail "$name: exit $rc, $lines stderr lines (wanted one containing '$want'):"
    sed 's/^/    /' "$tmp/err" | head -5 | cat -A | cut -c1-300
  else
    pass "$name -> $(cat "$tmp/err")"
  fi
}
# runs NAME NP ARGS...: exit 0 on NP ranks.
runs() {
  local name=$1 np=$2
  shift 2
  if on "$np" "$@" >"$tmp/out" 2>"$tmp/err"; then pass "$name"; else
    fail "$name: exit $?:"
    sed 's/^/    /' "$tmp/err" | head -5 | cut -c1-300
  fi
}

cat > "$tmp/g.ini" <<'INI'
[synthetic]
n = 60
labels = 5
features = 3
[train]
epochs = 1
batch_size = 4
INI
printf '[data]\nfolds = 3\n\ntest = %s/t.h5\n' "$tmp" > "$tmp/folds_test.ini"
printf '[data]\ntest = %s/t.h5\n[train]\nepochs = 1\n' "$tmp" > "$tmp/test.ini"
G=$tmp/g.ini
O=(--out "$tmp/run.h5")
W=(--grid loss.epsilon=0.5,1 --out "$tmp/sweep")

# ---- item 4: contradictory keys, keys and options given twice ---------------
expect "fold without folds" "data.fold (command line) needs data.folds, which is not set" --np 2 -- train "$G" data.fold=1 "${O[@]}"
expect "inner_fold without inner_folds" "data.inner_fold (command line) needs data.inner_folds" -- \
  train "$G" data.folds=3 data.inner_fold=1 "${O[@]}"
expect "folds set to 0 is off" "needs data.folds, which is off" -- train "$G" data.folds=0 data.fold=2 "${O[@]}"
expect "test file with folds (one file)" "data.test ($tmp/folds_test.ini:4) and data.folds ($tmp/folds_test.ini:2) exclude each other" -- \
  train "$tmp/folds_test.ini" "${O[@]}"
expect "test file with folds (file and command line)" "data.test ($tmp/test.ini:2) and data.folds (command line) exclude each other" --np 2 -- \
  train "$tmp/test.ini" data.folds=4 "${O[@]}"
expect "test_fraction with a test file" "data.test_fraction (command line) and data.test ($tmp/test.ini:2)" -- \
  train "$tmp/test.ini" data.test_fraction=0.3 "${O[@]}"
expect "a key twice on the command line" "override 'loss.epsilon=2' sets loss.epsilon again (first set by 'loss.epsilon=1')" --np 2 -- \
  train "$G" loss.epsilon=1 loss.epsilon=2 "${O[@]}"
expect "--out twice" "option given twice: '--out'" -- train "$G" --out "$tmp/a.h5" "${O[@]}"
expect "gen --out twice" "perturb gen: option given twice: '--out'" -- gen "$G" --out "$tmp/a.h5" --out "$tmp/b.h5"
expect "import --out twice" "perturb import: option given twice: '--out'" -- import x.csv --out "$tmp/a.h5" --out "$tmp/b.h5"
expect "sweep --out twice" "perturb sweep: option given twice: '--out'" -- sweep "$G" --out "$tmp/s1" "${W[@]}"
expect "sweep --group-size twice" "option given twice: '--group-size'" -- sweep "$G" --group-size 1 --group-size 2 "${W[@]}"
expect "sweep: a key twice on the command line" "sets loss.samples again" -- sweep "$G" loss.samples=2 loss.samples=3 "${W[@]}"
expect "sweep: grid axis without its folds" "data.fold (command line) needs data.folds" --np 2 -- sweep "$G" --grid data.fold=0,1 --out "$tmp/sweep"
expect "sweep: a grid point against the file" "--grid data.folds=3: data.test ($tmp/test.ini:2) and data.folds (command line) exclude each other" -- \
  sweep "$tmp/test.ini" --grid data.folds=3,0 --out "$tmp/sweep"
expect "lone section.key (train)" "'loss.epsilon' looks like an override without '=value'" -- train "$G" loss.epsilon "${O[@]}"
if [ -e "$tmp/run.h5" ] || [ -e "$tmp/a.h5" ] || [ -e "$tmp/sweep" ] || [ -e "$tmp/s1" ]; then
  fail "a refused command line wrote a file"; else pass "refused command lines wrote nothing"; fi
# consistent settings still run: folds with a fold, nested folds with the refit
runs "folds with fold and the refit" 1 train "$G" data.folds=3 data.fold=2 data.inner_folds=2 data.inner_fold=-1 "${O[@]}"

# ---- item 17: escaped control bytes, CR line ends ----------------------------
printf 'f1,f2,r1,r2,r3\n1,2\033[31m,1,2,3\n' > "$tmp/esc.csv"
expect "ESC in a CSV cell is escaped" "field 2 ('2\\x1b[31m') is not a number" -- import "$tmp/esc.csv" --out "$tmp/esc.h5"
if grep -q $'\033' "$tmp/err"; then fail "the raw ESC byte reached stderr"; else pass "no raw ESC byte on stderr"; fi
printf '[loss]\nkind = fy\033[2K\n' > "$tmp/esc.ini"
expect "ESC in an INI value is escaped" "(got 'fy\\x1b[2K')" -- train "$tmp/esc.ini" "${O[@]}"
expect "ESC in an override value is escaped" "(got 'fy\\x1b[2K')" -- train "$G" $'loss.kind=fy\033[2K' "${O[@]}"
expect "ESC in an unknown option is escaped" "unknown option '--x\\x1b[2K'" -- train "$G" $'--x\033[2K' "${O[@]}"
printf 'f1,f2,r1,r2,r3\r1,2,1,2,3\r3,4,3,2,1\r5,6,2,1,3\r' > "$tmp/cr.csv"
printf 'f1,f2,r1,r2,r3\n1,2,1,2,3\n3,4,3,2,1\n5,6,2,1,3\n' > "$tmp/lf.csv"
if on 1 import "$tmp/cr.csv" --out "$tmp/cr.h5" >/dev/null 2>"$tmp/err" &&
  on 1 import "$tmp/lf.csv" --out "$tmp/lf.h5" >/dev/null 2>&1 &&
  /usr/bin/python3 -c "
import h5py, sys, numpy as np
a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
assert a['X'].shape == b['X'].shape and np.array_equal(a['X'][...], b['X'][...]) and np.array_equal(a['ranks'][...], b['ranks'][...])
" "$tmp/cr.h5" "$tmp/lf.h5"; then pass "a CSV with CR line ends imports like its LF copy"; else
  fail "CR-only CSV: $(head -c 300 "$tmp/err")"; fi
tr '\n' '\r' < "$G" > "$tmp/cr.ini"
if on 1 gen "$tmp/cr.ini" --out "$tmp/cr_gen.h5" >"$tmp/out" 2>"$tmp/err" &&
  grep -q "60 instances, 5 labels, 3 features" "$tmp/out"; then pass "an INI file with CR line ends loads"; else
  fail "CR-only INI: $(head -c 300 "$tmp/err")"; fi

# ---- item 17: a 300-character directory path end to end ----------------------
long=$tmp/$(printf 'd%.0s' {1..120})/$(printf 'e%.0s' {1..120})/$(printf 'f%.0s' {1..50})
mkdir -p "$long"
[ ${#long} -gt 300 ] || echo "note: the long directory has only ${#long} characters"
runs "gen into a ${#long}-character directory" 1 gen "$G" --out "$long/data.h5"
printf '[data]\ntrain = %s/data.h5\n[train]\nepochs = 2\nbatch_size = 4\n' "$long" > "$long/run.ini"
runs "train: config file, dataset and run file there" 2 train "$long/run.ini" --out "$long/run.h5"
/usr/bin/python3 "$(dirname "$0")/unfinish_run.py" "$long/run.h5"
runs "resume there" 1 train "$long/run.ini" --out "$long/run.h5" --resume
if grep -q "(complete)" "$tmp/out"; then pass "the resumed run is complete"; else fail "resume: $(tail -1 "$tmp/out")"; fi
runs "eval there" 1 eval "$long/run.h5" "$long/data.h5"
runs "sweep there" 2 sweep "$long/run.ini" --grid loss.epsilon=0.5,1 --out "$long/sweep"
runs "sweep over long paths as overrides and grid values" 1 sweep "$G" data.train="$long/data.h5" \
  --grid "data.test=$long/data.h5,$long/./data.h5" --out "$long/sweep2"
if [ -f "$long/sweep/sweep.h5" ] && [ -f "$long/sweep/points/1.h5" ] && [ -f "$long/sweep2/points/1.h5" ]; then
  pass "the sweeps wrote sweep.h5 and their points"; else fail "sweep files missing under the long directory"; fi
# a path longer than the system allows: one line saying so
huge=$(printf 'x%.0s' {1..4100})
expect "a path over PATH_MAX" "data.train is too long (4100 characters; at most 4095, the longest path the system allows)" -- \
  train "$G" data.train="$huge" "${O[@]}"

finish config_errors
