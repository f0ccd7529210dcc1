#!/usr/bin/env bash
# fig4.sh: the synthetic label-ranking experiment of the paper (Fig. 4).
# Trains the shared linear scorer with the four losses at several label-noise
# levels sigma, then collects every run into one HDF5 file, a table (Markdown
# and CSV) and a PNG plot.
#
#   scripts/fig4.sh [--small] [--np P] [--out DIR] [--sigmas s,...] [--losses l,...]
#                   [--set section.key=value ...]
#
#   --small   the small configuration (experiments/fig4_synthetic/small.ini)
#   --np P    MPI ranks per run (default 2)
#   --out DIR where runs and results go (default out/fig4 or out/fig4-small)
#   --sigmas  label-noise levels (default 0,0.0001,0.0003,0.001,0.003,0.01)
#   --losses  losses (default fy,perturbed_squared,squared,blackbox)
#   --set k=v an override applied to every run (e.g. train.epochs=5)
# Finished runs are kept: starting the script again skips complete runs and
# resumes interrupted ones. A second run on the same DIR while one is running
# stops at once (DIR/job.lock).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
config=$top/experiments/fig4_synthetic/base.ini
out=$top/out/fig4
np=2
# With d = 100 labels, adjacent clean scores are ~0.01 apart, so sigma = 0.01
# already scrambles most test rankings: the grid goes from 0 to there.
sigmas=0,0.0001,0.0003,0.001,0.003,0.01
losses=fy,perturbed_squared,squared,blackbox
sets=()
while [ $# -gt 0 ]; do
  case $1 in
    --small) config=$top/experiments/fig4_synthetic/small.ini; out=$top/out/fig4-small ;;
    --np) np=$2; shift ;;
    --out) out=$2; shift ;;
    --sigmas) sigmas=$2; shift ;;
    --losses) losses=$2; shift ;;
    --set) sets+=("$2"); shift ;;
    *) echo "fig4.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
perturb=${PERTURB:-$top/build/perturb}
[ -x "$perturb" ] || { echo "fig4.sh: $perturb not built (run scripts/build.sh)" >&2; exit 1; }
. "$top/scripts/mpi_env.sh"
# Per-loss settings on top of the config, chosen on an independent draw of the
# data (synthetic.seed = 2, sigma in {0, 0.01}, learning rates 1e-4 ... 1) by
# test Spearman: each loss gets its best rate; the perturbed squared loss also
# needed Adam and a larger epsilon (with epsilon = 0.1 its Jacobian estimate is
# too noisy at the start, where theta = 0 and every ranking is equally likely).
loss_settings() {
  case $1 in
    fy) echo "" ;;
    perturbed_squared) echo "loss.epsilon=1 optim.kind=adam optim.lr=0.01" ;;
    squared) echo "optim.lr=0.001" ;;
    blackbox) echo "optim.lr=0.3" ;;
  esac
}
lock_out "$out" fig4.sh  # before writing anything in $out
mkdir -p "$out/runs"
for loss in ${losses//,/ }; do
  for sigma in ${sigmas//,/ }; do
    run=$out/runs/${loss}_sigma${sigma}.h5
    mode=(--force)
    if [ -f "$run" ]; then
      if "$perturb" info "$run" 2>/dev/null | head -1 | grep -q ", complete,"; then
        echo "== $loss sigma=$sigma: done already ($run)"; continue
      fi
      mode=(--resume)
      epochs=$("$perturb" info "$run" 2>/dev/null | sed -n '1s/.*, \([0-9]*\) epochs done.*/\1/p' || true)
      echo "== $loss sigma=$sigma: resuming the interrupted run $run from epoch ${epochs:-?}"
    else
      echo "== $loss sigma=$sigma"
    fi
    # shellcheck disable=SC2046
    mpirun "${mpirun_args[@]}" "$perturb" train "$config" loss.kind="$loss" $(loss_settings "$loss") \
      synthetic.sigma="$sigma" "${sets[@]}" --out "$run" "${mode[@]}"
  done
done
/usr/bin/python3 "$top/scripts/fig4_plot.py" "$out"
