#!/usr/bin/env bash
# test.sh: the README's second command (and what CI runs). Installs what is
# missing, then builds and runs every test twice: a normal optimised build
# and an AddressSanitizer + UndefinedBehaviorSanitizer build; then the fuzz
# targets (tests/fuzz/run.sh) for 20 s each.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh" --tests --fuzz
export OPENBLAS_NUM_THREADS=1
# Open MPI's hwloc need not probe for GPUs (its OpenCL and GL plug-ins crash
# LeakSanitizer's tracer where a GPU stack is installed; tests/CMakeLists.txt)
export HWLOC_COMPONENTS=-opencl,-gl
status=0
for variant in release asan; do
  dir="$top/build-test-$variant"
  args=()
  [ "$variant" = asan ] && args+=(-DPERTURB_SANITIZE=ON)
  echo "== $variant build ($dir) =="
  "$top/scripts/build.sh" "$dir" "${args[@]}"
  (cd "$dir" && ctest --output-on-failure --timeout 900 -j "$(nproc)") || status=1
done
# The fuzz targets of the loaders, 20 s each under ASan + UBSan (tests/fuzz/run.sh).
echo "== fuzz targets =="
PERTURB_FUZZ_BUILD="$top/build-test-fuzz" "$top/tests/fuzz/run.sh" 20 || status=1
[ $status -eq 0 ] && echo "test.sh: all tests passed in both builds" || echo "test.sh: FAILURES (see above)"
exit $status
