#!/usr/bin/env bash
# bench_scaling.sh: how two ranks train against two independent one-rank
# processes, measured in one go on the affine benchmark
# (experiments/perf/affine.ini) at each d: one rank alone, then two ranks,
# then two one-rank processes side by side (--bind-to none: `mpirun -n 1`
# binds to core 0, and two of them would share it). Prints the median epoch
# throughput (label-perturbations per second, first epoch left out) of each
# and the ratios; issue #11 asks two ranks >= 95% of the two independent
# processes together. A report, never a pass/fail test.
#
#   scripts/bench_scaling.sh [--d 100,10] [--epochs 12]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
perturb=${PERTURB:-$top/build/perturb}
ds=100,10
epochs=12
while [ $# -gt 0 ]; do
  case $1 in
    --d) ds=$2; shift ;;
    --epochs) epochs=$2; shift ;;
    *) echo "bench_scaling.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$perturb" ] || { echo "bench_scaling.sh: $perturb not built (run scripts/build.sh)" >&2; exit 1; }
np=1
. "$top/scripts/mpi_env.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median_rate() {
  /usr/bin/python3 -c "
import json, statistics, sys
rates = [json.loads(l)['label_perturbations_per_s'] for l in open(sys.argv[1]) if l.startswith('{')][1:]
print(statistics.median(rates))" "$1"
}
printf "%6s %12s %12s %12s %9s %9s %13s\n" d "one rank" "two ranks" "two alone" "2r/1r" "2a/1r" "2r/2 alone"
IFS=, read -r -a d_list <<< "$ds"
for d in "${d_list[@]}"; do
  run() { # run NAME RANKS [mpirun options]
    local name=$1 n=$2
    shift 2
    mpirun -q -n "$n" "$@" "$perturb" train "$top/experiments/perf/affine.ini" synthetic.labels="$d" \
      train.epochs="$epochs" --json --out "$tmp/$name.h5" --force > "$tmp/$name.json" 2> "$tmp/$name.err" ||
      { cat "$tmp/$name.err" >&2; return 1; }
  }
  run one 1
  run two 2
  run alone_a 1 --bind-to none &
  run alone_b 1 --bind-to none
  wait $!
  one=$(median_rate "$tmp/one.json") two=$(median_rate "$tmp/two.json")
  a=$(median_rate "$tmp/alone_a.json") b=$(median_rate "$tmp/alone_b.json")
  /usr/bin/python3 -c "
d, one, two, a, b = $d, $one, $two, $a, $b
print(f'{d:>6} {one:>12.3g} {two:>12.3g} {a + b:>12.3g} {two / one:>8.2f}x {(a + b) / one:>8.2f}x {two / (a + b):>13.2f}')"
done
