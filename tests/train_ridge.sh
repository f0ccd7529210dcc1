#!/usr/bin/env bash
# train_ridge.sh PERTURB: loss.kind = ridge, the closed-form baseline.
#  1. l2 = 0: θ of the fit on the training data equals that of an independent
#     least-squares solution (numpy.linalg.lstsq on [X, 1]) to 1e-8 relative —
#     affine on a small label-ranking CSV, on a copy with collinear features
#     (rank-deficient: every least-squares solution gives the same θ), on
#     fewer instances than parameters, and the linear scorer on per-label data; the metrics row is
#     epoch 1, step 0 with train_loss = (1/n) Σ‖θ_i − y_i‖² at the fit.
#  2. l2 > 0: the gradient of J = (1/n) Σ‖θ_i − y_i‖² + (l2/2)‖params‖² (what
#     loss.kind = squared trains) at the fit is < 1e-10 of its value at 0; a
#     long Adam run of loss.kind = squared with the same l2 ends with J no
#     lower than ridge's (ridge is the minimiser) and within 1e-5 of it.
#  3. The same bits (model and metrics) on 1, 2 and 3 ranks (3 oversubscribed).
#  4. --resume of a ridge run: it is complete, so refused.
set -euo pipefail
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/checks.sh"
train() { # np args...: a run whose output is kept in $tmp/log
  local np=$1
  shift
  timeout 300 mpirun -q -n "$np" --oversubscribe "$perturb" train "$@" --force >"$tmp/log" 2>&1 ||
    { echo "perturb train $* failed:"; sed 's/^/    /' "$tmp/log"; return 1; }
}

# check.py MODE DATA.h5 RUN.h5 [L2 [OTHER.h5]]: one line of numbers, exit 1 if the check fails.
#  lstsq: θ against numpy.linalg.lstsq, and the metrics row
#  grad:  the gradient of J at the fit
#  min:   J of RUN.h5 (ridge) against J of OTHER.h5 (a trained run)
cat > "$tmp/check.py" <<'PY'
import sys
import h5py
import numpy as np

mode, data, run = sys.argv[1:4]
l2 = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
with h5py.File(data, "r") as f:
    X, Y = f["X"][...], f["Y"][...]
n, d = Y.shape
if X.ndim == 2:  # affine: one row [x_i, 1] per instance, d responses
    A, T = np.hstack([X, np.ones((n, 1))]), Y
else:            # linear scorer: one row [x_ij, 1] per instance and label
    A, T = np.hstack([X.reshape(n * d, -1), np.ones((n * d, 1))]), Y.reshape(-1, 1)
p = A.shape[1] - 1


def coefficients(path):
    """The run's parameters as C with A C = θ, and the last metrics row."""
    with h5py.File(path, "r") as f:
        w, m = f["model/params"][...], f["metrics"][...]
    if X.ndim == 2:
        C = np.vstack([w[: d * p].reshape(d, p).T, w[d * p:]])
    else:
        C = w.reshape(-1, 1)
    return C, m


def objective(C):
    mse = np.sum((A @ C - T) ** 2) / n
    return mse + l2 / 2 * np.sum(C * C), mse


C, m = coefficients(run)
_, mse = objective(C)
if mode == "lstsq":
    ref = np.linalg.lstsq(A, T, rcond=None)[0]
    th, th_ref = A @ C, A @ ref
    rel = np.linalg.norm(th - th_ref) / np.linalg.norm(th_ref)
    loss_rel = abs(m[-1]["train_loss"] - mse) / mse if mse > 0 else abs(m[-1]["train_loss"])
    print(f"|theta - theta_lstsq| / |theta_lstsq| = {rel:.2e}, rank {np.linalg.matrix_rank(A)} of {p + 1} "
          f"columns, train_loss {m[-1]['train_loss']:.10g} (vs {mse:.10g}: {loss_rel:.1e})")
    ok = rel < 1e-8 and (loss_rel < 1e-10 or mse < 1e-20) and len(m) == 1 and m[0]["epoch"] == 1 and m[0]["step"] == 0
elif mode == "grad":
    grad = 2 / n * A.T @ (A @ C - T) + l2 * C
    rel = np.linalg.norm(grad) / np.linalg.norm(2 / n * A.T @ T)
    print(f"|grad J| at the fit = {rel:.2e} of |grad J| at 0 (l2 = {l2:g})")
    ok = rel < 1e-10
elif mode == "min":
    J, _ = objective(C)
    C2, m2 = coefficients(sys.argv[5])
    J2, mse2 = objective(C2)
    gap = (J2 - J) / J
    print(f"J: ridge {J:.15g}, trained {J2:.15g} (relative gap {gap:.2e}); train_loss: ridge "
          f"{m[-1]['train_loss']:.12g}, trained (last epoch) {m2[-1]['train_loss']:.12g}")
    ok = gap >= -1e-14 and gap < 1e-5
sys.exit(0 if ok else 1)
PY
check() { /usr/bin/python3 "$tmp/check.py" "$@"; }

# ---- data ---------------------------------------------------------------------
# A label-ranking CSV like iris (150 instances, 4 features, 3 labels; ranks of
# a noisy affine score), imported as the real datasets are; a rank-deficient
# copy (collinear columns) and one with fewer instances than parameters.
mkdir -p "$tmp/csv"
/usr/bin/python3 - "$tmp" <<'PY'
import sys
import numpy as np
t = sys.argv[1]
rng = np.random.default_rng(7)
X = rng.uniform(-1, 1, (150, 4))
score = X @ rng.normal(size=(4, 3)) + 0.5 * rng.normal(size=(150, 3))
ranks = np.argsort(np.argsort(-score, axis=1), axis=1) + 1  # 1 = top
with open(f"{t}/csv/lr.csv", "w") as f:
    f.write("f1,f2,f3,f4,r1,r2,r3\n")
    for x, r in zip(X, ranks):
        f.write(",".join([f"{v:.6f}" for v in x] + [str(v) for v in r]) + "\n")
PY
"$perturb" import "$tmp/csv/lr.csv" --out "$tmp/lr.h5" >/dev/null
/usr/bin/python3 - "$tmp" <<'PY'
import sys
import h5py
import numpy as np
t = sys.argv[1]
with h5py.File(f"{t}/lr.h5", "r") as f:
    attrs, X, Y, R = dict(f.attrs), f["X"][...], f["Y"][...], f["ranks"][...]
def write(name, X, Y, R):
    with h5py.File(f"{t}/{name}.h5", "w") as g:
        for k, v in attrs.items():
            g.attrs[k] = v
        g["X"], g["Y"], g["ranks"] = X, Y, R
# a column scaled, a difference of two, and a constant (the intercept's column again)
write("collinear", np.hstack([X, 2 * X[:, :1], X[:, 1:2] - X[:, 2:3], np.full((len(X), 1), 0.5)]), Y, R)
write("few", X[:4], Y[:4], R[:4])  # 4 instances, 5 parameters per label
PY
cat > "$tmp/a.ini" <<'INI'
[synthetic]
kind = affine
n = 200
labels = 5
features = 6
sigma = 0.3
seed = 4
INI
"$perturb" gen "$tmp/a.ini" --out "$tmp/affine.h5" >/dev/null
"$perturb" gen "$tmp/a.ini" synthetic.kind=per_label synthetic.n=60 --out "$tmp/scorer.h5" >/dev/null

# ---- 1. l2 = 0 against least squares -------------------------------------------------
for data in lr collinear few scorer; do
  D=$tmp/$data.h5
  if train 1 "$tmp/a.ini" data.train="$D" data.test="$D" loss.kind=ridge --out "$tmp/$data.r.h5" &&
     out=$(check lstsq "$D" "$tmp/$data.r.h5" 2>&1); then
    pass "$data, l2 = 0: $out"
  else
    fail "$data, l2 = 0: ${out:-}"
  fi
done

# ---- 2. l2 > 0: a stationary point, and the minimiser of what SGD trains --------
L2=0.01
D=$tmp/affine.h5
common=(data.train="$D" data.test="$D" model.l2=$L2)
for data in affine scorer; do
  D2=$tmp/$data.h5
  if train 1 "$tmp/a.ini" data.train="$D2" data.test="$D2" model.l2=$L2 loss.kind=ridge --out "$tmp/$data.l2.h5" &&
     out=$(check grad "$D2" "$tmp/$data.l2.h5" $L2 2>&1); then
    pass "$data: $out"
  else
    fail "$data: gradient at the fit: ${out:-}"
  fi
done
# Adam on minibatches, the rate decayed to 0 (cosine), long enough to converge.
if train 2 "$tmp/a.ini" "${common[@]}" loss.kind=squared optim.kind=adam optim.lr=0.05 optim.schedule=cosine \
     train.epochs=300 train.batch_size=20 train.eval_every=300 train.checkpoint_every=0 --out "$tmp/sgd.h5" &&
   out=$(check min "$D" "$tmp/affine.l2.h5" $L2 "$tmp/sgd.h5" 2>&1); then
  pass "ridge vs 300 epochs of Adam, l2 = $L2: $out"
else
  fail "ridge vs Adam: ${out:-}"
fi

# ---- 3. the same bits on any number of ranks --------------------------------------------
cases=("$tmp/a.ini ${common[*]}"
       "$tmp/a.ini data.train=$tmp/scorer.h5 data.test=$tmp/scorer.h5 model.l2=0.1"
       "$tmp/a.ini data.dataset=lr data.csv_dir=$tmp/csv data.folds=5 data.fold=2 data.standardize=true")
for c in "${cases[@]}"; do
  for np in 1 2 3; do train "$np" $c loss.kind=ridge --out "$tmp/np$np.h5"; done
  if out=$(/usr/bin/python3 "$here/compare_runs.py" "$tmp"/np{1,2,3}.h5 2>&1); then
    pass "1, 2, 3 ranks: $out (${c#"$tmp/a.ini "})"
  else
    fail "ranks differ: $out (${c#"$tmp/a.ini "})"
  fi
done

# ---- 4. --resume ---------------------------------------------------------------------------
if timeout 60 mpirun -q -n 2 "$perturb" train "$tmp/a.ini" "${common[@]}" loss.kind=ridge --out "$tmp/affine.l2.h5" \
     --resume >/dev/null 2>"$tmp/err"; then
  fail "--resume of a complete ridge run succeeded"
elif [ "$(grep -c . "$tmp/err")" -eq 1 ] && grep -q "the run is complete" "$tmp/err"; then
  pass "--resume refused: $(cat "$tmp/err")"
else
  fail "--resume of a ridge run:"; sed 's/^/    /' "$tmp/err"
fi

finish train_ridge
