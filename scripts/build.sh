#!/usr/bin/env bash
# build.sh [BUILD_DIR] [extra cmake args...]: configures and builds perturb.
# Default BUILD_DIR is build/ at the top of the source tree.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build}
shift || true
cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
