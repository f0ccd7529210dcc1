#!/usr/bin/env bash
# run-main.sh: the README's first command. Installs what is missing, builds,
# and runs the main job: until the training engine lands, the library demo
# (the perturbed argmax with Gumbel noise converging to softmax) and the
# example that trains a user's own solver with the Fenchel-Young loss.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" "$top/build"
export OPENBLAS_NUM_THREADS=1
echo
echo "== perturb demo =="
"$top/build/perturb" demo
echo
echo "== examples/own_solver.c: a user's solver trained with the perturbed FY loss =="
"$top/build/own_solver"
