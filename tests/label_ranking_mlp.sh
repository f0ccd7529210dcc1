#!/usr/bin/env bash
# label_ranking_mlp.sh PERTURB: label ranking beyond the affine model (issue
# #12), end to end on two small generated datasets whose rankings are a
# nonlinear function of the features:
#  1. scripts/label_ranking_baselines.py (a random forest and k-NN) on the
#     folds `perturb folds` gives: one row per dataset, method and outer fold,
#     Spearman correlations in [-1, 1], and the forest well above chance on
#     data it can fit (mean > 0.5 on both datasets);
#  2. scripts/label_ranking.sh with a grid of an affine FY line and an mlp FY
#     line (name fy_mlp, loss.kind and model.kind as axes): the report has a
#     column per model and for the baselines, the issue's two checks, and
#     fig3_mlp.png; the mlp run's chosen setting names model.kind=mlp;
#  3. bad input: an unknown dataset for the baselines, and a grid line whose
#     name is no loss and that gives none: one stderr line, non-zero exit;
#  4. scripts/label_ranking_repro.sh on the mlp line: 1 rank, 2 ranks per
#     point and a run killed midway then resumed give the same bits.
set -euo pipefail
perturb=$1
top=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/checks.sh"
export PERTURB=$perturb

# Two datasets: ranks of |W x| + noise (not affine in x), 4 and 3 labels, 3 features.
mkdir -p "$tmp/data"
/usr/bin/python3 "$top/tests/toy_ranking.py" "$tmp/data" --seed 11 --noise 0.2 --abs toy_a:90:4 toy_b:100:3
export PERTURB_LABEL_RANKING_DIR=$tmp/data

# 1. the baselines, on 3 outer x 5 inner folds (as label_ranking.sh --folds 3 below)
if /usr/bin/python3 "$top/scripts/label_ranking_baselines.py" --out "$tmp/out" --folds 3 --inner-folds 5 \
  > "$tmp/base.log" 2>&1; then pass "the baselines ran"; else fail "the baselines failed:"; cat "$tmp/base.log"; fi
if /usr/bin/python3 - "$tmp/out/baselines.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
keys = sorted((r["dataset"], r["method"], int(r["fold"])) for r in rows)
want = sorted((d, m, f) for d in ("toy_a", "toy_b") for m in ("rf", "knn") for f in range(3))
assert keys == want, f"rows {keys} != {want}"
values = [float(r["spearman"]) for r in rows]
assert all(-1 <= v <= 1 for v in values), values
for d in ("toy_a", "toy_b"):
    rf = [float(r["spearman"]) for r in rows if r["dataset"] == d and r["method"] == "rf"]
    assert sum(rf) / 3 > 0.5, f"{d}: random forest mean {sum(rf) / 3}"
    assert all(r["k"] in ("5", "10", "20", "40") for r in rows if r["dataset"] == d and r["method"] == "knn")
PY
then pass "baselines.csv: 12 rows, Spearman in [-1, 1], the forest above 0.5 on both datasets"
else fail "baselines.csv is not as expected"; fi

# 2. affine and mlp FY, with the baselines beside them
cat > "$tmp/mlp.grid" <<'GRID'
fy      loss.epsilon=1 optim.lr=0.1
fy_mlp  loss.kind=fy model.kind=mlp model.hidden=16x16 model.l2_biases=false optim.lr=0.01 model.l2=0,0.001
GRID
if timeout 300 bash "$top/scripts/label_ranking.sh" --grid "$tmp/mlp.grid" --folds 3 --set train.min_steps=200 \
  --out "$tmp/out" > "$tmp/run.log" 2>&1; then pass "label_ranking.sh with an mlp grid line ran"
else fail "label_ranking.sh with an mlp grid line failed:"; cat "$tmp/run.log"; fi
md=$tmp/out/label_ranking.md
for want in "| dataset | perturbed FY | FY, mlp | random forest | k-NN | best of RF / k-NN |" \
  "FY with the mlp at or above best of RF / k-NN on" "FY with the mlp at or above perturbed FY on"; do
  if grep -qF -- "$want" "$md"; then pass "the report has '$want'"; else fail "the report lacks '$want'"; fi
done
[ -s "$tmp/out/fig3_mlp.png" ] && pass "wrote fig3_mlp.png" || fail "no fig3_mlp.png"
if grep -q "^toy_a,fy_mlp,3,.*model.kind=mlp" "$tmp/out/label_ranking.csv"; then
  pass "the mlp rows of label_ranking.csv name the model: $(grep '^toy_a,fy_mlp' "$tmp/out/label_ranking.csv" | cut -c1-60)"
else fail "no toy_a fy_mlp row with model.kind=mlp in label_ranking.csv"; fi

# 3. bad input
status=0
/usr/bin/python3 "$top/scripts/label_ranking_baselines.py" --datasets toy_a,nope --out "$tmp/bad" \
  > /dev/null 2> "$tmp/bad.err" || status=$?
if [ "$status" -ne 0 ] && [ "$(wc -l < "$tmp/bad.err")" -eq 1 ] && grep -q "no dataset 'nope'" "$tmp/bad.err"; then
  pass "baselines, unknown dataset: exit $status, '$(cat "$tmp/bad.err")'"
else fail "baselines, unknown dataset: exit $status:"; cat "$tmp/bad.err"; fi
printf 'mlp_only  model.kind=mlp optim.lr=0.01\n' > "$tmp/noloss.grid"
status=0
timeout 120 bash "$top/scripts/label_ranking.sh" --grid "$tmp/noloss.grid" --folds 3 --out "$tmp/bad2" \
  > /dev/null 2> "$tmp/bad2.err" || status=$?
if [ "$status" -ne 0 ] && [ "$(wc -l < "$tmp/bad2.err")" -eq 1 ] && grep -q "loss.kind" "$tmp/bad2.err"; then
  pass "a grid line that names no loss: exit $status, '$(cat "$tmp/bad2.err")'"
else fail "a grid line that names no loss: exit $status:"; cat "$tmp/bad2.err"; fi
# 4. the same bits on 1 rank, 2 ranks per point, and killed then resumed
status=0
timeout 600 bash "$top/scripts/label_ranking_repro.sh" --grid "$tmp/mlp.grid" --method fy_mlp --datasets toy_a,toy_b \
  --folds 3 --kill-after 12 --set train.min_steps=1000 --out "$tmp/repro" > "$tmp/repro.log" 2>&1 || status=$?
killed=$(sed -n 's/^killed after \([0-9]*\) of \([0-9]*\) points$/\1 \2/p' "$tmp/repro.log")
read -r done_at total <<< "${killed:-0 0}"
if [ "$status" -eq 0 ] && grep -q "^all three agree$" "$tmp/repro.log" && [ "$total" -eq 72 ] &&
  [ "$done_at" -ge 12 ] && [ "$done_at" -lt "$total" ]; then
  pass "label_ranking_repro.sh: 1 rank, 2 ranks per point, and killed after $done_at of $total points then resumed agree"
else fail "label_ranking_repro.sh: exit $status:"; cat "$tmp/repro.log"; fi
finish label_ranking_mlp
