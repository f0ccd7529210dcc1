#!/usr/bin/env bash
# fig6.sh: the shortest-path experiments (paper Figs. 5-6) and the grid
# benchmark that users of this problem compare on.
#   1. The grid benchmark (experiments/shortest_path/grid.ini): a linear model
#      on PyEPO's generator, 1000 training and 1000 test instances, 20 epochs,
#      for deg in {1, 2, 4, 6} and noise half-width in {0, 0.5}, with the
#      perturbed FY loss (additive and multiplicative noise), SPO+, blackbox
#      and the two-stage squared loss on the true costs.
#   2. Warcraft-like maps (experiments/shortest_path/warcraft.ini): a CNN with
#      FY (additive noise, epsilon = 1, M = 1), blackbox, the two-stage
#      squared loss on the true costs, and the paper's squared loss on the
#      path indicators.
# Then scripts/fig6_plot.py writes DIR/fig6.md and DIR/fig6.csv (the tables),
# DIR/fig6.png (Warcraft: share of optimal test paths and cost ratio per
# epoch) and DIR/fig6_grid.png (the benchmark's test regret against deg).
#
#   scripts/fig6.sh [--small] [--np P] [--out DIR] [--only grid|warcraft]
#                   [--set section.key=value ...]
#
#   --small     a few minutes: deg in {2, 4} at noise 0.5 only, and the small
#               maps configuration (experiments/shortest_path/warcraft_small.ini)
#   --np P      MPI ranks per run (default 2)
#   --out DIR   where runs and results go (default out/fig6 or out/fig6-small)
#   --only X    run only the grid benchmark or only the maps
#   --set k=v   an override applied to every run (e.g. train.epochs=5)
# Finished runs are kept: starting the script again skips complete runs and
# resumes interrupted ones. A second run on the same DIR while one is running
# stops at once (DIR/job.lock).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/out/fig6
np=2
small=0
only=
sets=()
while [ $# -gt 0 ]; do
  case $1 in
    --small) small=1 ;;
    --np) np=$2; shift ;;
    --out) out=$2; shift ;;
    --only) only=$2; shift ;;
    --set) sets+=("$2"); shift ;;
    *) echo "fig6.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
case $only in ""|grid|warcraft) ;; *) echo "fig6.sh: --only takes grid or warcraft, not '$only'" >&2; exit 2 ;; esac
[ "$small" = 1 ] && [ "$out" = "$top/out/fig6" ] && out=$top/out/fig6-small
perturb=${PERTURB:-$top/build/perturb}
[ -x "$perturb" ] || { echo "fig6.sh: $perturb not built (run scripts/build.sh)" >&2; exit 1; }
. "$top/scripts/mpi_env.sh"
lock_out "$out" fig6.sh  # before writing anything in $out
mkdir -p "$out/runs"

# run NAME CONFIG KEY=VALUE...: one training run into DIR/runs/NAME.h5
# (train_resumable, scripts/mpi_env.sh).
run() {
  local name=$1 config=$2
  shift 2
  train_resumable "$name" "$out/runs/$name.h5" "$config" "$@" "${sets[@]}"
}

# The losses of the comparison, as NAME:OVERRIDES (a comma-free list of
# key=value separated by '+').
losses=("fy:loss.kind=fy+loss.perturbation=additive"
        "fy_mult:loss.kind=fy+loss.perturbation=multiplicative"
        "spo_plus:loss.kind=spo_plus"
        "blackbox:loss.kind=blackbox"
        "two_stage:loss.kind=cost_squared")

if [ "$only" != warcraft ]; then
  degs="1 2 4 6"
  halfwidths="0 0.5"
  [ "$small" = 1 ] && { degs="2 4"; halfwidths="0.5"; }
  for deg in $degs; do
    for hw in $halfwidths; do
      for entry in "${losses[@]}"; do
        IFS=+ read -r -a over <<< "${entry#*:}"
        run "grid_deg${deg}_hw${hw}_${entry%%:*}" "$top/experiments/shortest_path/grid.ini" \
          synthetic.deg="$deg" synthetic.noise_halfwidth="$hw" "${over[@]}"
      done
    done
  done
fi

if [ "$only" != grid ]; then
  maps=$top/experiments/shortest_path/warcraft.ini
  [ "$small" = 1 ] && maps=$top/experiments/shortest_path/warcraft_small.ini
  run maps_fy "$maps" loss.kind=fy
  # blackbox with costs of mean 1 per map: with free-scale costs its target cells' costs
  # fall to the softplus floor, where their gradient vanishes (docs/shortest_path.md)
  run maps_blackbox "$maps" loss.kind=blackbox model.output=unit_costs loss.lambda=5
  run maps_two_stage "$maps" loss.kind=cost_squared
  # the paper's squared loss: the same network regresses the 0/1 path
  # indicators (raw scores), its decision the cells scored above 1/2
  run maps_squared "$maps" loss.kind=squared model.output=scores task.decision=threshold
fi
/usr/bin/python3 "$top/scripts/fig6_plot.py" "$out"
