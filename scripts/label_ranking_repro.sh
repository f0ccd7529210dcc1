#!/usr/bin/env bash
# label_ranking_repro.sh: one method of a label-ranking grid run three ways on
# the same datasets and folds, and the results compared bit for bit:
#   1. one rank (mpirun -n 1);
#   2. two ranks sharing every point (--np 2 --group-size 2);
#   3. two ranks, one point each, killed with SIGKILL midway, then the same
#      command run again (it resumes: finished points kept, the rest rerun).
# The three label_ranking.csv tables must be identical but for the seconds
# column, and the three sweeps' summaries identical in every column but the
# timings. Prints what it compares; exit 0 when all agree, 1 when not, 2 on
# bad arguments.
#
#   scripts/label_ranking_repro.sh [--grid FILE] [--method NAME] [--datasets a,b,...]
#                                  [--folds K] [--kill-after N] [--out DIR] [--set k=v ...]
#
#   --grid FILE      default experiments/label_ranking/mlp.grid
#   --method NAME    the grid line (default: its first)
#   --datasets       default glass,iris,wisconsin,vowel
#   --folds K        outer folds (default 3)
#   --kill-after N   points finished before the kill (default: half of them)
#   --out DIR        default out/label_ranking_repro (DIR/np1, DIR/np2, DIR/killed)
#   --set k=v        an override for every point, passed to label_ranking.sh
# Needs $PERTURB_LABEL_RANKING_DIR, as scripts/label_ranking.sh does.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
grid=$top/experiments/label_ranking/mlp.grid
method=""
datasets=glass,iris,wisconsin,vowel
folds=3
kill_after=""
out=$top/out/label_ranking_repro
sets=()
die() { echo "label_ranking_repro.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --grid) grid=$2; shift ;;
    --method) method=$2; shift ;;
    --datasets) datasets=$2; shift ;;
    --folds) folds=$2; shift ;;
    --kill-after) kill_after=$2; shift ;;
    --out) out=$2; shift ;;
    --set) sets+=(--set "$2"); shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
  shift
done
[ -r "$grid" ] || die "cannot read the grid file '$grid'"
[ -n "$method" ] || method=$(grep -v '^[[:space:]]*\(#\|$\)' "$grid" | head -1 | awk '{print $1}')
line=$(awk -v m="$method" '$1 == m' "$grid")
[ -n "$line" ] || die "no line '$method' in $grid"
mkdir -p "$out"
one=$out/$method.grid
echo "$line" > "$one"
run() { # run DIR ARGS...: the sweep and its report; its log in DIR.log
  local dir=$1; shift
  bash "$top/scripts/label_ranking.sh" --grid "$one" --datasets "$datasets" --folds "$folds" --out "$dir" ${sets[@]+"${sets[@]}"} "$@" \
    >> "$dir.log" 2>&1 || { echo "label_ranking_repro.sh: $(tail -1 "$dir.log") (log: $dir.log)" >&2; return 1; }
}
rm -rf "$out/np1" "$out/np2" "$out/killed" "$out"/np1.log "$out"/np2.log "$out"/killed.log
run "$out/np1" --np 1 || exit 1
total=$(grep -c '^point' "$out/np1/$method.log")
echo "1 rank: $total points"
run "$out/np2" --np 2 --group-size 2 || exit 1
echo "2 ranks per point: done"
[ -n "$kill_after" ] || kill_after=$((total / 2))
run "$out/killed" --np 2 2>/dev/null & # to be killed: no failure line
job=$!
for _ in $(seq 3000); do
  n=$(grep -c '^point' "$out/killed/$method.log" 2>/dev/null || true)
  [ "${n:-0}" -ge "$kill_after" ] && break
  kill -0 "$job" 2>/dev/null || break
  sleep 0.1
done
pkill -9 -f -- "--out $out/killed/$method" || true
pkill -9 -f -- "label_ranking.sh --grid $one .* --out $out/killed" || true
exec 3>&2 2>/dev/null # the shell's own "Killed" line for the job
wait "$job" || true
exec 2>&3 3>&-
echo "killed after $(grep -c '^point' "$out/killed/$method.log") of $total points"
run "$out/killed" --np 2 || exit 1
echo "rerun: done"
for d in np1 np2 killed; do cut -d, -f1-7 "$out/$d/label_ranking.csv" > "$out/$d.table"; done
status=0
for d in np2 killed; do
  if cmp -s "$out/np1.table" "$out/$d.table"; then echo "label_ranking.csv, $d: identical to 1 rank"
  else echo "label_ranking.csv, $d: DIFFERS from 1 rank"; diff "$out/np1.table" "$out/$d.table" | head -5; status=1; fi
done
/usr/bin/python3 - "$out" "$method" <<'PY' || status=1
import sys
import h5py
import numpy as np
out, method = sys.argv[1:]
def summary(run):
    s = h5py.File(f"{out}/{run}/{method}/sweep.h5", "r")["summary"][()]
    return s, [n for n in s.dtype.names if n not in ("wall_seconds", "label_perturbations_per_s")]
a, names = summary("np1")
ok = True
for run in ("np2", "killed"):
    b, _ = summary(run)
    same = len(a) == len(b) and all(np.array_equal(a[n], b[n], equal_nan=a[n].dtype.kind == "f") for n in names)
    print(f"sweep summary, {run}: {'identical' if same else 'DIFFERS'} ({len(b)} points; every column but the timings)")
    ok = ok and same
sys.exit(0 if ok else 1)
PY
[ "$status" -eq 0 ] && echo "all three agree" || echo "they do not agree"
exit "$status"
