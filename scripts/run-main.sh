#!/usr/bin/env bash
# run-main.sh: the README's first command. Installs what is missing, builds,
# and runs the main job: a small version of the paper's synthetic
# label-ranking experiment (Fig. 4) with `mpirun -n 2`, four losses at six
# label-noise levels, then says where the table and the plot are.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" "$top/build"
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$top/scripts/fig4.sh" --small --np 2
echo
echo "table: $top/out/fig4-small/fig4.md (and fig4.csv, fig4.h5)"
echo "plot:  $top/out/fig4-small/fig4.png"
echo "runs:  $top/out/fig4-small/runs/*.h5 (perturb info FILE says what each holds)"
