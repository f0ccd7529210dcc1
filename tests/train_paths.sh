#!/usr/bin/env bash
# train_paths.sh PERTURB: the shortest-path task end to end.
#  1. The grid benchmark (dag_path, linear model) with FY under additive and
#     multiplicative noise, SPO+, blackbox and the two-stage squared loss, and
#     small Warcraft-like maps (grid_path, a cnn with the per-cell head and
#     positive costs) with FY (additive noise cut at zero cost, and
#     multiplicative with unit-mean costs), blackbox, the two-stage loss and
#     the squared loss on the path indicators (task.decision = threshold, on
#     both): each the same bits on 1, 2 and 4 ranks (and 4 as 2 x 2 instance x
#     sample groups where the loss draws samples).
#  2. A maps run killed with SIGKILL after its second checkpoint and resumed
#     ends with the same bits as the uninterrupted run.
#  3. perturb eval rebuilds the model from the run file and gives its last
#     path metrics, bit for bit; for thresholded decisions the share of
#     optimal paths alone (no cost ratio, in the log either).
#  4. It learns: on the grid benchmark (4 x 4, deg 4, noise 0.5, 500
#     training instances) FY's normalised test regret after 10 epochs is
#     below 0.8 of the untrained model's (epoch 0 is not stored: compared
#     with a run whose learning rate, 1e-12, is too small to move it).
set -u
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"
cleanup_kill() { pkill -9 -f -- "--out $tmp/cut.h5" 2>/dev/null || true; }
trap 'cleanup_kill; rm -rf "$tmp"' EXIT

cat > "$tmp/grid.ini" <<INI
[data]
test_fraction = 0.5
[synthetic]
kind = shortest_path
n = 200
features = 5
grid = 4
deg = 4
noise_halfwidth = 0.5
seed = 3
[task]
kind = shortest_path
[model]
kind = affine
[loss]
epsilon = 1
samples = 4
lambda = 10
[optim]
lr = 0.02
[train]
batch_size = 16
seed = 2
test_loss = true
INI
cat > "$tmp/maps.ini" <<INI
[data]
test_fraction = 0.25
[synthetic]
kind = warcraft
n = 48
grid = 5
cell_pixels = 4
seed = 5
[task]
kind = shortest_path
[model]
kind = cnn
conv = 4,6
padding = 1
pool = max
pool_size = 2
head = cells
hidden = 5
output = costs
[loss]
epsilon = 1
samples = 2
lambda = 10
[optim]
lr = 0.01
[train]
batch_size = 16
seed = 4
[dist]
shard_size = 4
INI

run() { # NP OUT CONFIG [overrides]
  local np=$1 out=$2 cfg=$3
  shift 3
  timeout 300 mpirun -q -n "$np" --oversubscribe "$perturb" train "$cfg" train.epochs="${EPOCHS:-3}" "$@" --out "$out" \
    --force >"$out.log" 2>&1 || { echo "  $(tail -2 "$out.log")"; return 1; }
}

# ---- 1. the same bits on 1, 2 and 4 ranks --------------------------------------
same_bits() { # NAME CONFIG SAMPLES(0/1) overrides...
  local name=$1 cfg=$2 samples=$3 ok=1 files what="1, 2 and 4 ranks"
  shift 3
  for np in 1 2 4; do run "$np" "$tmp/$name.$np.h5" "$cfg" "$@" || ok=0; done
  files=("$tmp/$name".{1,2,4}.h5)
  if [ "$samples" = 1 ]; then
    run 4 "$tmp/$name.2x2.h5" "$cfg" dist.instance_groups=2 dist.sample_groups=2 "$@" || ok=0
    files+=("$tmp/$name.2x2.h5")
    what="$what and 2 x 2 groups"
  fi
  if [ $ok = 1 ] && out=$(/usr/bin/python3 "$here/compare_runs.py" "${files[@]}" 2>&1); then
    pass "$name: $what: $out"
  else
    fail "$name: runs differ or failed: ${out:-a run failed}"
  fi
}
same_bits grid_fy "$tmp/grid.ini" 1 loss.kind=fy
# multiplicative noise: gradient parts f ⊙ y* are not integers, samples stay together
same_bits grid_fy_mult "$tmp/grid.ini" 0 loss.kind=fy loss.perturbation=multiplicative
same_bits grid_spo "$tmp/grid.ini" 0 loss.kind=spo_plus
same_bits grid_blackbox "$tmp/grid.ini" 0 loss.kind=blackbox
same_bits grid_two_stage "$tmp/grid.ini" 0 loss.kind=cost_squared
same_bits maps_fy "$tmp/maps.ini" 1 loss.kind=fy
same_bits maps_fy_mult "$tmp/maps.ini" 0 loss.kind=fy loss.perturbation=multiplicative model.output=unit_costs
same_bits maps_blackbox "$tmp/maps.ini" 0 loss.kind=blackbox
same_bits maps_two_stage "$tmp/maps.ini" 0 loss.kind=cost_squared
# the paper's squared loss: raw scores regress the 0/1 indicators, thresholded at 1/2
same_bits maps_squared "$tmp/maps.ini" 0 loss.kind=squared model.output=scores task.decision=threshold
same_bits grid_squared "$tmp/grid.ini" 0 loss.kind=squared task.decision=threshold

# ---- 2. SIGKILL and --resume ---------------------------------------------------
epochs_done() { /usr/bin/python3 -c "import h5py,sys; print(int(h5py.File(sys.argv[1]).attrs['epochs_done']))" "$1" 2>/dev/null || echo 0; }
EPOCHS=40 run 2 "$tmp/full.h5" "$tmp/maps.ini" loss.kind=fy || fail "the uninterrupted run failed"
timeout 300 mpirun -q -n 2 "$perturb" train "$tmp/maps.ini" train.epochs=40 loss.kind=fy --out "$tmp/cut.h5" >/dev/null 2>&1 &
kill_after_checkpoints "$tmp/cut.h5" $! 2
done_at_kill=$(epochs_done "$tmp/cut.h5")
complete=$(/usr/bin/python3 -c "import h5py,sys; print(int(h5py.File(sys.argv[1]).attrs['complete']))" "$tmp/cut.h5" 2>/dev/null)
if [ "$complete" = 0 ] && [ "$done_at_kill" -ge 2 ] && [ "$done_at_kill" -lt 40 ]; then
  pass "killed after $done_at_kill epochs, not marked complete"
else
  fail "the kill: complete = $complete, $done_at_kill epochs done"
fi
timeout 300 mpirun -q -n 2 "$perturb" train "$tmp/maps.ini" train.epochs=40 loss.kind=fy --out "$tmp/cut.h5" --resume \
  >"$tmp/resume.log" 2>&1
if out=$(/usr/bin/python3 "$here/compare_runs.py" "$tmp/full.h5" "$tmp/cut.h5" 2>&1); then
  pass "resumed maps run identical: $out"
else
  fail "resumed maps run differs: $out $(tail -2 "$tmp/resume.log")"
fi

# ---- 3. eval: the run's last path metrics --------------------------------------
timeout 120 mpirun -q -n 3 --oversubscribe "$perturb" eval "$tmp/full.h5" --json >"$tmp/eval.json" 2>"$tmp/eval.err"
if /usr/bin/python3 - "$tmp/full.h5" "$tmp/eval.json" <<'PY'
import json, sys
import h5py
last = h5py.File(sys.argv[1])["metrics"][-1]
e = json.load(open(sys.argv[2]))
for key in ("optimal", "cost_ratio", "regret"):
    assert e[key] == last["test_" + key], (key, e, last)
    assert e["train_" + key] == last["train_" + key], (key, e, last)
PY
then pass "eval on 3 ranks gives the run's last path metrics: $(cat "$tmp/eval.json")"
else fail "eval of the maps run: $(cat "$tmp/eval.json" "$tmp/eval.err")"; fi

# thresholded decisions: the share of optimal paths, no cost ratio or regret (null)
timeout 120 mpirun -q -n 2 "$perturb" eval "$tmp/grid_squared.1.h5" --json >"$tmp/eval_sq.json" 2>"$tmp/eval_sq.err"
if /usr/bin/python3 - "$tmp/grid_squared.1.h5" "$tmp/eval_sq.json" "$tmp/grid_squared.1.h5.log" <<'PY'
import json, math, sys
import h5py
last = h5py.File(sys.argv[1])["metrics"][-1]
e = json.load(open(sys.argv[2]))
assert e["optimal"] == last["test_optimal"] and e["train_optimal"] == last["train_optimal"], (e, last)
assert last["train_optimal"] > 0, "no thresholded path is optimal: the check would not tell"
assert e["cost_ratio"] is None and e["regret"] is None and e["train_cost_ratio"] is None, e
assert math.isnan(last["test_cost_ratio"]) and math.isnan(last["test_regret"]), last
log = open(sys.argv[3]).read()
assert "optimal paths" in log and "cost ratio" not in log, log
PY
then pass "thresholded decisions: eval gives the run's share of optimal paths, no ratio: $(cat "$tmp/eval_sq.json")"
else fail "thresholded decisions: $(cat "$tmp/eval_sq.json" "$tmp/eval_sq.err")"; fi

# ---- 4. it learns --------------------------------------------------------------
EPOCHS=10 run 2 "$tmp/learn.h5" "$tmp/grid.ini" loss.kind=fy synthetic.n=1000 train.batch_size=32 || fail "the learning run failed"
EPOCHS=1 run 2 "$tmp/still.h5" "$tmp/grid.ini" loss.kind=fy synthetic.n=1000 optim.lr=1e-12 || fail "the untrained run failed"
if msg=$(/usr/bin/python3 - "$tmp/learn.h5" "$tmp/still.h5" <<'PY'
import sys
import h5py
learned = float(h5py.File(sys.argv[1])["metrics"][-1]["test_regret"])
untrained = float(h5py.File(sys.argv[2])["metrics"][-1]["test_regret"])
print(f"test regret {learned:.4f} after 10 epochs, {untrained:.4f} untrained")
sys.exit(0 if learned < 0.8 * untrained else 1)
PY
); then pass "FY learns the grid benchmark: $msg"; else fail "FY did not learn: $msg"; fi
finish train_paths
