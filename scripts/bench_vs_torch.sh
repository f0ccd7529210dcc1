#!/usr/bin/env bash
# bench_vs_torch.sh: perturb against PyTorch on the same computations, side by
# side in one run, one thread each (a report, never a pass/fail test):
#   1. the FY ranking gradient (perturb bench) against randn + argsort +
#      scatter in float32 and float64 (scripts/bench_fy_torch.py kernel), at
#      B = 256 for each d and M, with perturb's two floors beside it: drawing
#      the M·d Gaussians and sorting them, nothing else (floor), and drawing
#      the Gaussians alone (gauss), with the gradient's time in each;
#   2. training the affine benchmark (experiments/perf/affine.ini: n = 10000,
#      p = 50, batches of 32, SGD, FY with M = 10) at d = 100 and d = 10,
#      perturb on one rank against the PyTorch loop.
# Prints the ratios. Needs Debian's python3-torch (scripts/install-deps.sh
# --bench) and a built perturb (scripts/build.sh).
#
#   scripts/bench_vs_torch.sh [--d 10,100,1000] [--M 1,10,100,1000] [--repeats 5]
#                             [--train-d 100,10] [--no-train]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
perturb=${PERTURB:-$top/build/perturb}
ds=10,100,1000
Ms=100
repeats=5
train_ds=100,10
train=1
while [ $# -gt 0 ]; do
  case $1 in
    --d) ds=$2; shift ;;
    --M) Ms=$2; shift ;;
    --repeats) repeats=$2; shift ;;
    --train-d) train_ds=$2; shift ;;
    --no-train) train=0 ;;
    *) echo "bench_vs_torch.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$perturb" ] || { echo "bench_vs_torch.sh: $perturb not built (run scripts/build.sh)" >&2; exit 1; }
/usr/bin/python3 -c "import torch" 2>/dev/null ||
  { echo "bench_vs_torch.sh: needs Debian's python3-torch (scripts/install-deps.sh --bench)" >&2; exit 1; }
np=1
. "$top/scripts/mpi_env.sh"
export OMP_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== FY ranking gradient, B = 256, one thread (label-perturbations per second)"
echo "   perturb kernels: $(mpirun "${mpirun_args[@]}" "$perturb" --version | sed 's/.*kernels: //')"
IFS=, read -r -a M_list <<< "$Ms"
for M in "${M_list[@]}"; do
  mpirun "${mpirun_args[@]}" "$perturb" bench --json --d "$ds" --M "$M" --B 256 --repeats "$repeats" >> "$tmp/perturb.json"
  /usr/bin/python3 "$top/scripts/bench_fy_torch.py" kernel --d "$ds" --M "$M" --B 256 --repeats "$repeats" \
    >> "$tmp/torch.json"
done
/usr/bin/python3 - "$tmp/perturb.json" "$tmp/torch.json" <<'PY'
import json, sys
ours = [json.loads(l) for l in open(sys.argv[1])]
torch = {(r["dtype"], r["d"], r["M"]): r for r in map(json.loads, open(sys.argv[2]))}
print(f"{'d':>6} {'M':>6} {'perturb':>11} {'floor':>11} {'gauss':>11} {'torch f32':>11} {'torch f64':>11} "
      f"{'vs f32':>7} {'vs f64':>7} {'fy/floor':>8} {'fy/gauss':>8}")
for r in ours:
    f32, f64 = torch[("float32", r["d"], r["M"])], torch[("float64", r["d"], r["M"])]
    rate = r["label_perturbations_per_s"]
    print(f"{r['d']:>6} {r['M']:>6} {rate:>11.3g} {r['floor_label_perturbations_per_s']:>11.3g} "
          f"{r['gaussian_floor_label_perturbations_per_s']:>11.3g} "
          f"{f32['label_perturbations_per_s']:>11.3g} {f64['label_perturbations_per_s']:>11.3g} "
          f"{rate / f32['label_perturbations_per_s']:>6.2f}x {rate / f64['label_perturbations_per_s']:>6.2f}x "
          f"{r['floor_ratio']:>8.2f} {r['gaussian_floor_ratio']:>8.2f}")
PY

[ "$train" = 1 ] || exit 0
echo
echo "== training, affine benchmark (experiments/perf/affine.ini), one rank / one thread"
printf "%6s %14s %14s %7s\n" d perturb torch ratio
IFS=, read -r -a train_list <<< "$train_ds"
for d in "${train_list[@]}"; do
  # the median epoch rate of perturb's run (its first epoch included: no warm-up to skip)
  mpirun "${mpirun_args[@]}" "$perturb" train "$top/experiments/perf/affine.ini" synthetic.labels="$d" train.epochs=3 \
    --json --out "$tmp/affine_$d.h5" --force > "$tmp/affine_$d.json" 2>/dev/null
  ours=$(/usr/bin/python3 -c "
import json, statistics, sys
rates = [json.loads(l)['label_perturbations_per_s'] for l in open(sys.argv[1]) if l.startswith('{')]
print(statistics.median(rates))" "$tmp/affine_$d.json")
  theirs=$(/usr/bin/python3 "$top/scripts/bench_fy_torch.py" train --d "$d" --M 10 --epochs 2 |
    /usr/bin/python3 -c "import json, sys; print(json.load(sys.stdin)['label_perturbations_per_s'])")
  /usr/bin/python3 -c "import sys; o, t = float(sys.argv[2]), float(sys.argv[3]); print(f'{sys.argv[1]:>6} {o:>14.3g} {t:>14.3g} {o / t:>6.2f}x')" \
    "$d" "$ours" "$theirs"
done
