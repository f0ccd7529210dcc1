#!/usr/bin/env bash
# train_neural.sh PERTURB: the models that are not replicated (mlp, cnn) train
# bitwise identically whatever the number of ranks and the split of a batch's
# instances x samples (dist.h: fixed shards, weight gradients summed in fixed
# point), and after SIGKILL + --resume.
#  1. A small image classification set (96 images 1 x 6 x 6, 4 classes, from a
#     fixed seed) trains with the FY loss (Gaussian noise, M = 4) on 1, 2, 3
#     and 4 ranks, and on 4 ranks as 1 x 4 and 2 x 2 instance x sample
#     groups: the final parameters and every metric are the same bits.
#     Models: an mlp with two hidden layers; a cnn with padding 1, stride 1
#     and max pooling; a cnn with padding 0, stride 2, average pooling and a
#     hidden dense layer.
#  2. A cnn run killed with SIGKILL after its second epoch and resumed ends
#     with the same bits as the uninterrupted run.
#  3. Such a run learns: its training accuracy ends above chance (0.25) by a
#     wide margin (0.6; the classes are separable by construction).
set -u
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"
cleanup_kill() { pkill -9 -f -- "--out $tmp/cut.h5" 2>/dev/null || true; }
trap 'cleanup_kill; rm -rf "$tmp"' EXIT

/usr/bin/python3 - "$tmp/img.h5" <<'PY' || { echo "FAIL: cannot write the dataset"; exit 1; }
import sys
import h5py
import numpy as np
rng = np.random.default_rng(7)
n, k = 96, 4
labels = rng.integers(0, k, n).astype(np.int32)
X = rng.normal(0, 1, (n, 1, 6, 6))
for i, c in enumerate(labels):  # a bright quadrant per class
    r, q = divmod(int(c), 2)
    X[i, 0, 3 * r:3 * r + 3, 3 * q:3 * q + 3] += 2.0
with h5py.File(sys.argv[1], "w") as f:
    f.create_dataset("X", data=X)
    f.create_dataset("labels", data=labels)
    for key, v in {"format_version": 1, "task": "classification", "name": "quadrants",
                   "source": "tests/train_neural.sh", "classes": k}.items():
        f.attrs[key] = v
PY

base() {
  cat <<INI
[data]
train = $tmp/img.h5
test_fraction = 0.25
[task]
kind = classification
[loss]
kind = fy
samples = 4
epsilon = 0.5
[optim]
lr = 0.01
[train]
batch_size = 16
seed = 3
test_loss = true
[dist]
shard_size = 4
INI
}
{ base; printf '[model]\nkind = mlp\nhidden = 12,8\n'; } > "$tmp/mlp.ini"
{ base; printf '[model]\nkind = cnn\nconv = 4,6\npadding = 1\nstride = 1\npool = max\n'; } > "$tmp/cnn.ini"
{ base; printf '[model]\nkind = cnn\nconv = 5\npadding = 0\nstride = 2\npool = avg\nhidden = 7\n'; } > "$tmp/cnn2.ini"

run() { # NP OUT CONFIG [overrides]
  local np=$1 out=$2 cfg=$3
  shift 3
  timeout 300 mpirun -q -n "$np" --oversubscribe "$perturb" train "$cfg" train.epochs="${EPOCHS:-3}" "$@" --out "$out" --force \
    >"$out.log" 2>&1 || { echo "  $(tail -2 "$out.log")"; return 1; }
}

for m in mlp cnn cnn2; do
  ok=1
  for np in 1 2 3 4; do run "$np" "$tmp/$m.$np.h5" "$tmp/$m.ini" || ok=0; done
  run 4 "$tmp/$m.1x4.h5" "$tmp/$m.ini" dist.instance_groups=1 dist.sample_groups=4 || ok=0
  run 4 "$tmp/$m.2x2.h5" "$tmp/$m.ini" dist.instance_groups=2 dist.sample_groups=2 || ok=0
  if [ $ok = 1 ] && out=$(/usr/bin/python3 "$here/compare_runs.py" "$tmp/$m".{1,2,3,4,1x4,2x2}.h5 2>&1); then
    pass "$m: 1, 2, 3, 4 ranks and 4 as 1x4 and 2x2 groups: $out"
  else
    fail "$m: runs differ or failed: ${out:-a run failed}"
  fi
done
grep -q "4 ranks = 1 instance x 4 sample groups" "$tmp/cnn.1x4.h5.log" && grep -q "2 instance x 2 sample" "$tmp/cnn.2x2.h5.log" \
  && pass "the 1x4 and 2x2 runs used those groups" || fail "the groups were not those asked: $(head -1 "$tmp/cnn.1x4.h5.log")"

# ---- 2. SIGKILL and --resume ---------------------------------------------------
epochs_done() { /usr/bin/python3 -c "import h5py,sys; print(int(h5py.File(sys.argv[1]).attrs['epochs_done']))" "$1" 2>/dev/null || echo 0; }
EPOCHS=60 run 2 "$tmp/full.h5" "$tmp/cnn.ini" loss.samples=64 || fail "the uninterrupted run failed"
timeout 300 mpirun -q -n 2 "$perturb" train "$tmp/cnn.ini" train.epochs=60 loss.samples=64 --out "$tmp/cut.h5" >/dev/null 2>&1 &
kill_after_checkpoints "$tmp/cut.h5" $! 2
done_at_kill=$(epochs_done "$tmp/cut.h5")
complete=$(/usr/bin/python3 -c "import h5py,sys; print(int(h5py.File(sys.argv[1]).attrs['complete']))" "$tmp/cut.h5" 2>/dev/null)
if [ "$complete" = 0 ] && [ "$done_at_kill" -ge 2 ] && [ "$done_at_kill" -lt 60 ]; then
  pass "killed after $done_at_kill epochs, not marked complete"
else
  fail "the kill: complete = $complete, $done_at_kill epochs done"
fi
timeout 300 mpirun -q -n 2 "$perturb" train "$tmp/cnn.ini" train.epochs=60 loss.samples=64 --out "$tmp/cut.h5" --resume >"$tmp/resume.log" 2>&1
if out=$(/usr/bin/python3 "$here/compare_runs.py" "$tmp/full.h5" "$tmp/cut.h5" 2>&1); then
  pass "resumed cnn run identical: $out"
else
  fail "resumed cnn run differs: $out $(tail -2 "$tmp/resume.log")"
fi

# ---- eval rebuilds the cnn from the run's configuration: its last metrics, bit for bit
timeout 120 mpirun -q -n 3 --oversubscribe "$perturb" eval "$tmp/full.h5" --json >"$tmp/eval.json" 2>"$tmp/eval.err"
if /usr/bin/python3 - "$tmp/full.h5" "$tmp/eval.json" <<'PY'
import json, sys
import h5py
last = h5py.File(sys.argv[1])["metrics"][-1]
e = json.load(open(sys.argv[2]))
assert e["accuracy"] == last["test_accuracy"] and e["train_accuracy"] == last["train_accuracy"], (e, last)
PY
then pass "eval on 3 ranks gives the run's last accuracies: $(cat "$tmp/eval.json")"
else fail "eval of the cnn run: $(cat "$tmp/eval.json" "$tmp/eval.err")"; fi

# ---- 3. it learns ----------------------------------------------------------------
acc=$(/usr/bin/python3 -c "import h5py,sys; print(h5py.File(sys.argv[1])['metrics'][-1]['train_accuracy'])" "$tmp/full.h5")
if /usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.6 else 1)" "$acc"; then
  pass "the cnn learns: training accuracy $acc after 60 epochs (chance 0.25)"
else
  fail "the cnn did not learn: training accuracy $acc"
fi
# ---- 4. model.l2_biases = false: the L2 penalty spares the biases -----------------
# (which parameters are biases: test_models.c). With l2 = 0 the option changes
# nothing, bit for bit; with l2 > 0 it changes the run, and the run is still
# the same bits on 1 and 3 ranks; the biases it spares end larger, in norm,
# than under the penalty (the weights are penalised alike in both).
run 1 "$tmp/b0t.h5" "$tmp/mlp.ini" model.l2=0 &&
  run 1 "$tmp/b0f.h5" "$tmp/mlp.ini" model.l2=0 model.l2_biases=false &&
  run 1 "$tmp/b1t.h5" "$tmp/mlp.ini" model.l2=0.5 &&
  run 1 "$tmp/b1f.h5" "$tmp/mlp.ini" model.l2=0.5 model.l2_biases=false &&
  run 3 "$tmp/b1f3.h5" "$tmp/mlp.ini" model.l2=0.5 model.l2_biases=false || fail "a model.l2_biases run failed"
# widths written 12x8 (as a sweep's --grid needs them) are the widths 12,8
run 1 "$tmp/x.h5" "$tmp/mlp.ini" model.l2=0 model.hidden=12x8 || fail "model.hidden = 12x8 failed"
if /usr/bin/python3 "$here/compare_runs.py" "$tmp/b0t.h5" "$tmp/x.h5" >/dev/null; then
  pass "model.hidden = 12x8 trains the same bits as 12,8"; else fail "model.hidden = 12x8 differs from 12,8"; fi
# no hidden layer, written none (a grid axis choosing the depth) or left empty
run 1 "$tmp/n0.h5" "$tmp/mlp.ini" model.l2=0 model.hidden=none &&
  run 1 "$tmp/n1.h5" "$tmp/mlp.ini" model.l2=0 "model.hidden=" || fail "model.hidden = none failed"
if /usr/bin/python3 "$here/compare_runs.py" "$tmp/n0.h5" "$tmp/n1.h5" >/dev/null &&
  [ "$(/usr/bin/python3 -c "import h5py,sys; print(h5py.File(sys.argv[1])['model/params'].shape[0])" "$tmp/n0.h5")" = 148 ]; then
  pass "model.hidden = none: no hidden layer (36 x 4 + 4 parameters), the same bits as an empty list"
else fail "model.hidden = none does not train the mlp without hidden layers"; fi
if /usr/bin/python3 "$here/compare_runs.py" "$tmp/b0t.h5" "$tmp/b0f.h5" >/dev/null &&
  ! /usr/bin/python3 "$here/compare_runs.py" "$tmp/b1t.h5" "$tmp/b1f.h5" >/dev/null 2>&1 &&
  /usr/bin/python3 "$here/compare_runs.py" "$tmp/b1f.h5" "$tmp/b1f3.h5" >/dev/null; then
  pass "model.l2_biases = false: no effect at l2 = 0, an effect at l2 = 0.5, the same bits on 1 and 3 ranks"
else fail "model.l2_biases = false: the runs at l2 = 0 and 0.5 (1 and 3 ranks) do not compare as they should"; fi
# the mlp 36-12-8-4: biases at 432..443, 540..547, 580..583 (W [out x in], then b)
norms=$(/usr/bin/python3 - "$tmp/b1t.h5" "$tmp/b1f.h5" <<'PY'
import sys, h5py, numpy as np
for path in sys.argv[1:]:
    w = h5py.File(path)["model/params"][...]
    b = np.concatenate([w[432:444], w[540:548], w[580:584]])
    print(f"{np.linalg.norm(b):.6g}")
PY
)
read -r penalised spared <<< "$(echo $norms)"
if /usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[2]) > float(sys.argv[1]) else 1)" "$penalised" "$spared"; then
  pass "the spared biases end larger: norm $spared against $penalised under the penalty"
else fail "the biases are not spared: norm $spared with model.l2_biases = false, $penalised without"; fi
finish train_neural
