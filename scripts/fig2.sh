#!/usr/bin/env bash
# fig2.sh: the classification experiment of the paper (Fig. 2) on the
# handwritten digits (Debian's python3-sklearn copy, 8 x 8 images, 10 classes).
# Trains the CNN of experiments/classification/digits.ini with the perturbed
# Fenchel-Young loss (argmax, Gaussian noise) for M = 1 and M = 1000 samples and
# with cross-entropy (same model, split and budget), the same two losses with
# model.kind = mlp, and an epsilon sweep of the FY loss at the config's M; then
# collects every run into one HDF5 file, a table (Markdown and CSV) and a PNG.
#
#   scripts/fig2.sh [--small | --config FILE] [--np P] [--out DIR] [--epsilons e,...]
#                   [--set section.key=value ...]
#
#   --small     the small configuration (experiments/classification/small.ini,
#               fewer epochs) and three epsilons
#   --config F  another configuration with its own data (e.g.
#               experiments/classification/cifar10.ini); the digits are then
#               neither imported nor used
#   --np P      MPI ranks per run (default 2)
#   --out DIR   where runs and results go (default out/fig2 or out/fig2-small)
#   --epsilons  the sweep (default 0.01,0.03,0.1,0.3,1,3,10,30,100)
#   --set k=v   an override applied to every run (e.g. train.epochs=5)
# The data file is data/digits.h5 when it exists, else DIR/digits.h5, imported
# on the first run. Finished runs are kept: starting the script again skips
# complete runs and resumes interrupted ones. A second run on the same DIR
# while one is running stops at once (DIR/job.lock).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
config=$top/experiments/classification/digits.ini
out=$top/out/fig2
np=2
epsilons=0.01,0.03,0.1,0.3,1,3,10,30,100
small=0
own_config=0
sets=()
while [ $# -gt 0 ]; do
  case $1 in
    --small) small=1 ;;
    --config) config=$2; own_config=1; shift ;;
    --np) np=$2; shift ;;
    --out) out=$2; shift ;;
    --epsilons) epsilons=$2; shift ;;
    --set) sets+=("$2"); shift ;;
    *) echo "fig2.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
if [ "$small" = 1 ]; then
  config=$top/experiments/classification/small.ini
  [ "$out" = "$top/out/fig2" ] && out=$top/out/fig2-small
  [ "$epsilons" = 0.01,0.03,0.1,0.3,1,3,10,30,100 ] && epsilons=0.1,1,10
fi
[ "$small$own_config" = 11 ] && { echo "fig2.sh: --small and --config exclude each other" >&2; exit 2; }
perturb=${PERTURB:-$top/build/perturb}
[ -x "$perturb" ] || { echo "fig2.sh: $perturb not built (run scripts/build.sh)" >&2; exit 1; }
. "$top/scripts/mpi_env.sh"
lock_out "$out" fig2.sh  # before writing anything in $out
mkdir -p "$out/runs"
data_args=()
if [ "$own_config" = 0 ]; then
  data=$top/data/digits.h5
  if [ ! -f "$data" ]; then
    data=$out/digits.h5
    if [ ! -f "$data" ]; then
      # Import into a temporary name first: an interrupted import must not be
      # taken for the data set on the next start. (mpirun: see run below.)
      mpirun -q -n 1 "$perturb" import digits --out "$data.tmp"
      mv "$data.tmp" "$data"
    fi
  fi
  data_args=(data.train="$data")
fi

# run NAME KEY=VALUE...: one training run into DIR/runs/NAME.h5
# (train_resumable, scripts/mpi_env.sh). Every perturb command here runs under
# mpirun, also the one-process import: started without it, a sanitizer build
# of perturb can fail at exit inside LeakSanitizer.
run() {
  local name=$1
  shift
  train_resumable "$name" "$out/runs/$name.h5" "$config" "${data_args[@]}" train.test_loss=true "$@" "${sets[@]}"
}

# Fig. 2 left and centre: accuracy per epoch, FY with M = 1 and M = 1000
# against cross-entropy (no samples), the config's epsilon.
run fy_M1 loss.kind=fy loss.samples=1
run fy_M1000 loss.kind=fy loss.samples=1000
run cross_entropy loss.kind=cross_entropy
# The same two losses with the fully connected model (its hidden layer is the
# config's model.hidden).
run mlp_fy loss.kind=fy model.kind=mlp
run mlp_cross_entropy loss.kind=cross_entropy model.kind=mlp
# Fig. 2 right: final train and test loss against epsilon, FY at the config's M.
for eps in ${epsilons//,/ }; do
  run "fy_eps$eps" loss.kind=fy loss.epsilon="$eps"
done
/usr/bin/python3 "$top/scripts/fig2_plot.py" "$out"
