#!/usr/bin/env bash
# label_ranking.sh: the paper's label-ranking experiment (Fig. 3) on its 21
# datasets: affine model, 10-fold cross-validation, hyperparameters chosen by
# 5-fold cross-validation inside each training fold, Spearman on the held-out
# fold, for perturbed FY, perturbed squared, squared, blackbox and the
# closed-form ridge baseline.
#
#   scripts/label_ranking.sh [--grid FILE] [--np P] [--group-size G] [--out DIR]
#                            [--datasets a,b,...] [--folds K] [--methods m,...]
#                            [--set section.key=value ...]
#
#   --grid FILE     hyperparameter grid, one line per method
#                   (default experiments/label_ranking/default.grid, the affine
#                   model; mlp.grid: FY, perturbed squared and squared with an mlp)
#   --np P          MPI ranks (default 2); --group-size G ranks per point (default 1)
#   --out DIR       where the sweeps and results go (default out/label_ranking)
#   --datasets      a subset of the datasets (default: every CSV in the data directory)
#   --folds K       outer folds (default 10, from base.ini)
#   --methods       a subset of the methods in the grid file
#   --set k=v       an override applied to every point (e.g. train.epochs=50)
#
# The data: $PERTURB_LABEL_RANKING_DIR, a directory of <name>.csv files (see
# data/README.md for where to get them). Each method is one `perturb sweep` over
# dataset x outer fold x inner fold (-1 = the refit on the whole outer training
# part, 0..4 = inner validation) x the method's grid, written to DIR/<method>;
# every choice between settings is made afterwards from the inner folds only
# (scripts/label_ranking_report.py), which writes DIR/label_ranking.{md,csv}
# and DIR/fig3.png.
#
# Restart: run the same command again. Each sweep skips its finished points and
# reruns interrupted ones; DIR/times.txt adds up the wall time of all attempts,
# killed ones included (counted up to their last write to DIR). A second run on
# the same DIR while one is running stops at once (DIR/job.lock).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
grid=$top/experiments/label_ranking/default.grid
base=$top/experiments/label_ranking/base.ini
out=$top/out/label_ranking
np=2
group=1
datasets=""
folds=""
methods=""
sets=()
die() { echo "label_ranking.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --grid) grid=$2; shift ;;
    --np) np=$2; shift ;;
    --group-size) group=$2; shift ;;
    --out) out=$2; shift ;;
    --datasets) datasets=$2; shift ;;
    --folds) folds=$2; shift ;;
    --methods) methods=$2; shift ;;
    --set) sets+=("$2"); shift ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
  shift
done
perturb=${PERTURB:-$top/build/perturb}
[ -x "$perturb" ] || { echo "label_ranking.sh: $perturb not built (run scripts/build.sh)" >&2; exit 1; }
[ -r "$grid" ] || die "cannot read the grid file '$grid'"
dir=${PERTURB_LABEL_RANKING_DIR:-}
[ -n "$dir" ] || die "set PERTURB_LABEL_RANKING_DIR to the directory of the label-ranking CSV files (data/README.md)"
[ -d "$dir" ] || die "PERTURB_LABEL_RANKING_DIR='$dir' is not a directory"
export PERTURB_LABEL_RANKING_DIR=$dir
. "$top/scripts/mpi_env.sh"

# Datasets in decreasing size, so that the dynamic hand-out of points starts
# the longest ones first and the sweep's tail is made of short points.
if [ -z "$datasets" ]; then
  datasets=$(cd "$dir" && ls -S -- *.csv 2>/dev/null | sed 's/\.csv$//' | paste -sd, -)
  [ -n "$datasets" ] || die "no .csv files in '$dir'"
else
  for d in ${datasets//,/ }; do [ -f "$dir/$d.csv" ] || die "no dataset '$d' in '$dir' (no file $dir/$d.csv)"; done
  datasets=$(cd "$dir" && for d in ${datasets//,/ }; do echo "$d.csv"; done | xargs ls -S -- | sed 's/\.csv$//' | paste -sd, -)
fi
overrides=("${sets[@]}")
if [ -n "$folds" ]; then overrides+=("data.folds=$folds"); else folds=$(sed -n 's/^folds *= *\([0-9]*\).*/\1/p' "$base"); fi
inner=$(sed -n 's/^inner_folds *= *\([0-9]*\).*/\1/p' "$base")
fold_values=$(seq -s, 0 $((folds - 1)))
inner_values=-1,$(seq -s, 0 $((inner - 1)))

lock_out "$out" label_ranking.sh  # before writing anything in $out

# DIR/<method>.seconds has one line per attempt: "started T0" (epoch seconds)
# while it runs, replaced by its wall time when its sweep ends. A line still
# "started" is an attempt that was killed (time limit, preemption): it is
# counted up to its last sign of life, the newest modification time in its log
# and sweep directory, when the next attempt or the final sum finds it.
end_attempt() {  # end_attempt METHOD [T1]: the open attempt's time, up to T1
  local f=$out/$1.seconds t0 t1=${2:-}
  [ -f "$f" ] || return 0
  t0=$(sed -n '$s/^started //p' "$f")
  [ -n "$t0" ] || return 0
  [ -n "$t1" ] || t1=$({ find "$out/$1.log" "$out/$1" -printf '%T@\n' 2>/dev/null || true; } | sort -n | tail -n 1)
  sed -i '$d' "$f"
  awk -v t0="$t0" -v t1="${t1:-$t0}" 'BEGIN {d = t1 - t0; printf "%.3f\n", (d > 0 ? d : 0)}' >> "$f"
}
start=$(date +%s)
ran=0
while read -r method axes; do
  case $method in ''|'#'*) continue ;; esac
  if [ -n "$methods" ] && [[ ",$methods," != *",$method,"* ]]; then continue; fi
  ran=$((ran + 1))
  grid_args=(--grid "data.dataset=$datasets" --grid "data.fold=$fold_values" --grid "data.inner_fold=$inner_values")
  # the method's name is its loss unless an axis says otherwise (fy_mlp: loss.kind=fy model.kind=mlp ...)
  loss=(loss.kind="$method")
  for axis in $axes; do
    case $axis in loss.kind=*) loss=() ;; esac
    grid_args+=(--grid "$axis")
  done
  echo "== $method: $(echo "$datasets" | tr , '\n' | wc -l) datasets x $folds folds x $((inner + 1)) fits x grid: $axes"
  [ -d "$out/$method" ] && echo "== $method: continuing the earlier attempt in $out/$method (its finished points are kept)"
  end_attempt "$method"  # an earlier attempt killed before it could
  echo "started $(date +%s.%N)" >> "$out/$method.seconds"
  status=0
  mpirun "${mpirun_args[@]}" "$perturb" sweep "$base" "${loss[@]}" "${overrides[@]}" "${grid_args[@]}" \
    --group-size "$group" --out "$out/$method" < /dev/null > "$out/$method.log" 2>&1 || status=$?
  end_attempt "$method" "$(date +%s.%N)"
  if [ "$status" -ne 0 ]; then
    echo "label_ranking.sh: the $method sweep failed: $(tail -n 1 "$out/$method.log") (log: $out/$method.log)" >&2
    exit 1
  fi
  tail -n 1 "$out/$method.log"
done < "$grid"
[ "$ran" -gt 0 ] || die "no method of '$grid' selected (--methods '$methods')"

# Wall time per method, summed over attempts (restarts add up).
for f in "$out"/*.seconds; do
  end_attempt "$(basename "$f" .seconds)"
  echo "$(basename "$f" .seconds) $(awk '{s += $1} END {printf "%.1f", s}' "$f")"
done > "$out/times.txt"
echo "== all sweeps done in $(( $(date +%s) - start )) s (this attempt); report:"
/usr/bin/python3 "$top/scripts/label_ranking_report.py" "$out"
