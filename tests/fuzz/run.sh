#!/usr/bin/env bash
# run.sh SECONDS [TARGET ...]: builds the fuzz targets with clang (libFuzzer,
# ASan + UBSan) in build-fuzz/ and runs each for SECONDS from the seed corpus
# tests/fuzz/corpus/<target>/ (new inputs go to a scratch corpus, the seeds
# stay as they are), after replaying the inputs of past findings in
# tests/fuzz/regress/<target>/. Prints the executions of each target; exits 1
# if any target found a crash, a leak, a timeout or an out-of-memory (the
# input is kept in build-fuzz/findings/). scripts/test.sh runs it with 20 s;
# docs/engine.md ("Fuzzing") says how to run for hours.
# Targets: config csv dataset_h5 runfile_h5 (the default), and h5_raw (raw
# bytes as HDF5: manual runs only, see fuzz_h5_raw.c).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${1:?usage: tests/fuzz/run.sh SECONDS [TARGET ...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config csv dataset_h5 runfile_h5)
build=${PERTURB_FUZZ_BUILD:-$top/build-fuzz}

"$top/scripts/install-deps.sh" --fuzz
echo "== fuzz build ($build) =="
CC=clang cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null

scratch=$(mktemp -d /dev/shm/perturb-fuzz.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT
findings="$build/findings"
mkdir -p "$findings"
export OPENBLAS_NUM_THREADS=1 PERTURB_FUZZ_DIR="$scratch"
status=0
for t in "${targets[@]}"; do
  exe="$build/fuzz_$t"
  [ -x "$exe" ] || { echo "fuzz: no target '$t'" >&2; exit 2; }
  log="$scratch/$t.log"
  regress=("$here"/regress/"$t"/*)
  if [ -e "${regress[0]}" ] && ! "$exe" "${regress[@]}" >"$log" 2>&1; then
    echo "fuzz $t: a past finding in tests/fuzz/regress/$t/ fails again:"
    tail -n 40 "$log"
    status=1
    continue
  fi
  mkdir -p "$scratch/corpus-$t"
  seeds=()
  [ -d "$here/corpus/$t" ] && seeds=("$here/corpus/$t")
  # -timeout: one input; -rss_limit_mb/-malloc_limit_mb: a small file that
  # makes a loader allocate gigabytes is a finding too.
  # -len_control=0: full-length inputs from the start, since a recipe reaches
  # the later parts of a file (the run file's /model) only past its first bytes.
  if nice "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=4096 \
      -len_control=0 -print_final_stats=1 -artifact_prefix="$findings/$t-" "$scratch/corpus-$t" "${seeds[@]}" >"$log" 2>&1; then
    runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 executions in \2 s/p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
    echo "fuzz $t: ${runs:-? executions}, ${cov:-cov: ?}, corpus $(ls "$scratch/corpus-$t" | wc -l) new inputs, no finding"
  else
    echo "fuzz $t: FINDING (input in $findings/, reproduce with: $exe FILE):"
    grep -v '^#[0-9]' "$log" | tail -n 40
    status=1
  fi
done
[ $status -eq 0 ] && echo "fuzz: ${#targets[@]} targets ran ${seconds} s each without a finding" ||
  echo "fuzz: FINDINGS (see above)"
exit $status
