#!/usr/bin/env bash
# paths_errors.sh PERTURB: bad shortest-path input gets one line and a
# non-zero exit, through perturb gen and perturb train:
#   the generators' parameters: a grid below 2 x 2, deg <= 0, a noise
#   half-width outside [0, 1);
#   files written by hand (h5py, the schema of docs/shortest_path.md): /Y
#   that is not a path of the solver's graph (both solvers), /costs with a
#   negative or a non-finite entry, /costs of the wrong shape, an unknown
#   solver attribute, a missing grid attribute, images whose size does not
#   split into the grid's cells; a loss that needs costs on data without them,
#   and additive noise refused nowhere (grid_path cuts it at zero cost).
set -u
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"

# expect NAME PATTERN CMD...: exit status non-zero, one line on stderr containing PATTERN
expect() {
  local name=$1 pattern=$2 rc
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  local lines
  lines=$(grep -c . "$tmp/err")
  if [ $rc -ne 0 ] && [ "$lines" = 1 ] && grep -qF -- "$pattern" "$tmp/err"; then
    pass "$name: exit $rc: $(cat "$tmp/err")"
  else
    fail "$name: exit $rc, $lines lines: $(head -3 "$tmp/err")"
  fi
}
gen() { timeout 60 mpirun -q -n 1 "$perturb" gen "$@" --out "$tmp/g.h5" --force; }
printf '[train]\nbatch_size = 4\n' >"$tmp/run.ini"
train() { timeout 120 mpirun -q -n 2 "$perturb" train "$tmp/run.ini" "$@" train.epochs=1 --out "$tmp/run.h5" --force; }

expect "grid 1" "synthetic.grid must be an integer in 2..1000 (got 1)" gen synthetic.kind=shortest_path synthetic.grid=1
expect "maps 1 cell" "synthetic.grid must be an integer in 2..1000 (got 1)" gen synthetic.kind=warcraft synthetic.grid=1
expect "deg 0" "synthetic.deg must be an integer in 1..64 (got 0)" gen synthetic.kind=shortest_path synthetic.deg=0
expect "deg -2" "synthetic.deg must be an integer in 1..64 (got -2)" gen synthetic.kind=shortest_path synthetic.deg=-2
expect "half-width 1" "synthetic.noise_halfwidth = 1: must be below 1" gen synthetic.kind=shortest_path \
  synthetic.noise_halfwidth=1
expect "half-width -0.1" "synthetic.noise_halfwidth must be >= 0 (got -0.1)" gen synthetic.kind=shortest_path \
  synthetic.noise_halfwidth=-0.1
expect "half-width 1.5" "synthetic.noise_halfwidth must be <= 1 (got 1.5)" gen synthetic.kind=shortest_path \
  synthetic.noise_halfwidth=1.5

# good files from the generators, then broken copies
timeout 60 mpirun -q -n 1 "$perturb" gen synthetic.kind=shortest_path synthetic.n=20 synthetic.grid=3 \
  --out "$tmp/dag.h5" >/dev/null 2>&1 || fail "gen dag"
timeout 60 mpirun -q -n 1 "$perturb" gen synthetic.kind=warcraft synthetic.n=20 synthetic.grid=4 synthetic.cell_pixels=2 \
  --out "$tmp/maps.h5" >/dev/null 2>&1 || fail "gen maps"
/usr/bin/python3 - "$tmp" <<'PY' || fail "cannot write the broken files"
import shutil, sys
import h5py
import numpy as np
t = sys.argv[1]
def broken(src, name, edit):
    shutil.copy(f"{t}/{src}.h5", f"{t}/{name}.h5")
    with h5py.File(f"{t}/{name}.h5", "r+") as f:
        edit(f)
def replace(f, key, data):
    del f[key]
    f.create_dataset(key, data=data)
def fork(f):  # dag: one more edge out of the first vertex
    y = f["Y"][:]; y[3] = 1 - y[3]; y[0] = 1; y[6] = 1; replace(f, "Y", y)
broken("dag", "fork", fork)
def gap(f):  # grid: a vertex set with a hole between the corners
    y = f["Y"][:]; y[2, :] = 0; y[2, 0] = y[2, 15] = 1; replace(f, "Y", y)
broken("maps", "gap", gap)
def half(f):
    y = f["Y"][:]; y[1, 0] = 0.5; replace(f, "Y", y)
broken("dag", "half", half)
def neg(f):
    c = f["costs"][:]; c[4, 2] = -1.0; replace(f, "costs", c)
broken("dag", "negcost", neg)
def nan(f):
    c = f["costs"][:]; c[5, 1] = np.nan; replace(f, "costs", c)
broken("dag", "nancost", nan)
def shape(f):
    replace(f, "costs", f["costs"][:, :-1])
broken("dag", "costshape", shape)
def solver(f):
    f.attrs["solver"] = "bellman_ford"
broken("dag", "solver", solver)
def nogrid(f):
    del f.attrs["grid_cols"]
broken("dag", "nogrid", nogrid)
def pixels(f):  # 4 x 4 cells of 2 pixels, cut to 7 x 8 pixels
    replace(f, "X", f["X"][:, :, :7, :])
broken("maps", "pixels", pixels)
def nocosts(f):
    del f["costs"]
broken("dag", "nocosts", nocosts)
PY
expect "/Y forks" "/Y row 0 is not a path of the 3 x 3 grid (dag_path" train data.train="$tmp/fork.h5"
expect "/Y has a gap" "/Y row 2 is not a path of the 4 x 4 grid (grid_path" train data.train="$tmp/gap.h5"
expect "/Y holds 0.5" "/Y row 1: entry 0 is 0.5, not 0 or 1" train data.train="$tmp/half.h5"
expect "negative cost" "/costs row 4: entry 2 is -1 (costs must be finite and >= 0)" train data.train="$tmp/negcost.h5"
expect "NaN cost" "/costs row 5: entry 1 is nan (costs must be finite and >= 0)" train data.train="$tmp/nancost.h5"
expect "costs shape" "/costs is [20, 11] but /Y is [20, 12]" train data.train="$tmp/costshape.h5"
expect "unknown solver" "solver 'bellman_ford' is not a shortest-path solver" train data.train="$tmp/solver.h5"
expect "no grid_cols" "needs the attributes grid_rows and grid_cols" train data.train="$tmp/nogrid.h5"
expect "image size" "images of 7 x 8 pixels do not split into the 4 x 4 grid's square cells" \
  train data.train="$tmp/pixels.h5" model.kind=cnn model.conv=2 model.head=cells
expect "SPO+ without costs" "loss.kind = spo_plus needs the true costs of the solutions (/costs)" \
  train data.train="$tmp/nocosts.h5" loss.kind=spo_plus
expect "costs on a linear model" "model.output = costs needs an mlp or a cnn" \
  train data.train="$tmp/dag.h5" model.output=costs
# the good files train
if timeout 120 mpirun -q -n 2 "$perturb" train "$tmp/run.ini" data.train="$tmp/maps.h5" model.kind=cnn model.conv=2 \
  model.head=cells model.output=costs loss.samples=2 train.epochs=1 --out "$tmp/ok.h5" --force >"$tmp/ok.log" 2>&1; then
  pass "maps with additive noise train (perturbed costs below zero count as zero)"
else
  fail "maps: $(tail -2 "$tmp/ok.log")"
fi
finish paths_errors
