#!/usr/bin/env bash
# eps_sweep.sh: perturbed FY on label-ranking datasets over a grid of epsilon
# and M (the paper's Fig. 2, right), as one `perturb sweep`, then the plot.
#
#   scripts/eps_sweep.sh [--np P] [--out DIR] [--datasets a,b] [--folds-used K]
#                        [--set section.key=value ...]
#
# Defaults: 2 ranks, out/eps_m, datasets vowel,glass,stock, the first 5 of the
# 10 outer folds. Config: experiments/label_ranking/eps_m.ini. Needs
# $PERTURB_LABEL_RANKING_DIR (data/README.md). Writes DIR/sweep.h5 and
# DIR/eps_m.{png,csv}. Started again, the sweep skips finished points; a second
# run on the same DIR while one is running stops at once (DIR/job.lock).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/out/eps_m
np=2
datasets=vowel,glass,stock
used=5
sets=()
while [ $# -gt 0 ]; do
  case $1 in
    --np) np=$2; shift ;;
    --out) out=$2; shift ;;
    --datasets) datasets=$2; shift ;;
    --folds-used) used=$2; shift ;;
    --set) sets+=("$2"); shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "eps_sweep.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
perturb=${PERTURB:-$top/build/perturb}
[ -x "$perturb" ] || { echo "eps_sweep.sh: $perturb not built (run scripts/build.sh)" >&2; exit 1; }
[ -n "${PERTURB_LABEL_RANKING_DIR:-}" ] ||
  { echo "eps_sweep.sh: set PERTURB_LABEL_RANKING_DIR (data/README.md)" >&2; exit 2; }
. "$top/scripts/mpi_env.sh"
lock_out "$out" eps_sweep.sh  # before writing anything in $out
[ -f "$out/sweep.h5" ] || [ -d "$out/points" ] && echo "== continuing the earlier attempt in $out (its finished points are kept)"
# M = 100 first: the longest points start first.
mpirun "${mpirun_args[@]}" "$perturb" sweep "$top/experiments/label_ranking/eps_m.ini" "${sets[@]}" \
  --grid loss.samples=100,10,1 --grid "data.dataset=$datasets" \
  --grid loss.epsilon=0.01,0.03,0.1,0.3,1,3,10,30,100 --grid "data.fold=$(seq -s, 0 $((used - 1)))" \
  --out "$out" < /dev/null > "$out/sweep.log" 2>&1 ||
  { echo "eps_sweep.sh: the sweep failed: $(tail -n 1 "$out/sweep.log") (log: $out/sweep.log)" >&2; exit 1; }
tail -n 1 "$out/sweep.log"
/usr/bin/python3 "$top/scripts/eps_plot.py" "$out"
