#!/usr/bin/env bash
# label_ranking.sh PERTURB: the label-ranking reproduction end to end, on two
# small generated datasets (no dependency on the real ones), started through
# the Slurm template as a batch job would start it.
#  1. scripts/slurm/label_ranking.sbatch -> scripts/label_ranking.sh -> one
#     sweep per method -> label_ranking_report.py: the table has every dataset
#     and method with all folds, and its numbers are the nested-CV protocol
#     recomputed here independently from the sweeps' /summary tables (choose
#     the setting with the best mean inner-validation Spearman, report its
#     refit's outer-fold Spearman; mean and sd over outer folds).
#  2. Started again, every sweep reruns nothing and the table is unchanged.
#     The job is started from outside the repository, with generic names (OUT,
#     FOLDS, ...) set in the shell: they are ignored (issue #8 items 20, 22).
#  2b. A second job on the same output directory stops at once with one line
#     and touches nothing there; an attempt killed before it could record its
#     time is counted up to its last write; lists separated by ':' are read
#     whole, a list cut by sbatch --export's commas and an old variable name
#     given in --export are refused with one line (issue #8 items 18, 19, 21, 22).
#  3. Bad input (missing data directory, unknown dataset, a CSV row that is not
#     a permutation, more folds than instances, a grid file with no method, a
#     grid key that does not exist, an empty axis): one stderr line, non-zero
#     exit, and no point marked complete.
set -euo pipefail
perturb=$1
top=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/checks.sh"
export PERTURB=$perturb

# Two datasets: ranks of W x + noise, 4 and 5 labels, 3 features.
mkdir -p "$tmp/data"
/usr/bin/python3 "$top/tests/toy_ranking.py" "$tmp/data" --seed 7 --noise 0.5 toy_a:90:4 toy_b:120:5
cat > "$tmp/tiny.grid" <<'EOF'
# test grid: two settings where there is something to choose
fy        loss.epsilon=1 optim.lr=0.03,1
squared   optim.lr=0.03,0.3
ridge     model.l2=0,0.1
EOF

run_job() {  # the Slurm template, as sbatch would run it (2 tasks), from outside the repository
  (cd "$tmp" && OUT="$tmp/leaked" FOLDS=2 GRID=/nowhere SLURM_NTASKS=2 SLURM_SUBMIT_DIR="$top" PERTURB_LABEL_RANKING_DIR="$tmp/data" PERTURB_GRID="$tmp/tiny.grid" \
    PERTURB_SETS="train.epochs=3" PERTURB_FOLDS=3 PERTURB_OUT="$tmp/out" bash "$top/scripts/slurm/label_ranking.sbatch")
}

# 1. the whole pipeline
if run_job > "$tmp/run1.log" 2>&1; then pass "the batch job ran"; else fail "the batch job failed:"; cat "$tmp/run1.log"; fi
for f in label_ranking.md label_ranking.csv fig3.png times.txt; do
  [ -s "$tmp/out/$f" ] && pass "wrote $f" || fail "no $f"
done
if /usr/bin/python3 - "$tmp/out" <<'PY'
import csv, sys
import h5py
import numpy as np
out = sys.argv[1]
text = lambda v: v.decode() if isinstance(v, bytes) else v
table = {(r["dataset"], r["method"]): r for r in csv.DictReader(open(f"{out}/label_ranking.csv"))}
bad = 0
for method in ("fy", "squared", "ridge"):
    s = h5py.File(f"{out}/{method}/sweep.h5", "r")["summary"][()]
    hyper = [k for k in s.dtype.names if "." in k and k not in ("data.dataset", "data.fold", "data.inner_fold")]
    for dataset in ("toy_a", "toy_b"):
        scores = []
        for fold in ("0", "1", "2"):
            rows = [r for r in s if text(r["data.dataset"]) == dataset and text(r["data.fold"]) == fold]
            settings = sorted({tuple(text(r[k]) for k in hyper) for r in rows})
            inner = {h: np.mean([r["test_spearman"] for r in rows
                                 if tuple(text(r[k]) for k in hyper) == h and text(r["data.inner_fold"]) != "-1"])
                     for h in settings}
            best = max(inner.values())
            chosen = [h for h in settings if inner[h] == best]
            refit = [r["test_spearman"] for r in rows
                     if tuple(text(r[k]) for k in hyper) in chosen and text(r["data.inner_fold"]) == "-1"]
            scores.append(refit[0])  # ties (small validation folds): the first setting in grid order
        row = table.get((dataset, method))
        if row is None:
            print(f"no row for {dataset} {method}"); bad += 1; continue
        mean, sd = np.mean(scores), np.std(scores, ddof=1)
        if int(row["folds"]) != 3 or abs(float(row["mean"]) - mean) > 1e-6 or abs(float(row["sd"]) - sd) > 1e-6:
            print(f"{dataset} {method}: table {row['folds']} folds {row['mean']} ± {row['sd']}, recomputed {mean} ± {sd}")
            bad += 1
        if not 0.0 < mean <= 1.0:
            print(f"{dataset} {method}: mean Spearman {mean} is not a learned ranking"); bad += 1
sys.exit(1 if bad else 0)
PY
then pass "table = nested CV recomputed from the sweeps (2 datasets x 3 methods x 3 folds)"
else fail "table differs from the nested CV recomputed from the sweeps"; fi
grep -q "FY better than or within 5% of squared" "$tmp/out/label_ranking.md" && pass "md has the squared check" ||
  fail "md lacks the squared check"

# 2. restart: nothing rerun, same table
cp "$tmp/out/label_ranking.csv" "$tmp/first.csv"
if run_job > "$tmp/run2.log" 2>&1 && [ "$(grep -c '(0 run now' "$tmp/run2.log")" -eq 3 ]; then
  pass "started again: 0 points rerun in each of the 3 sweeps"
else fail "restart reran points or failed"; cat "$tmp/run2.log"; fi
if cmp -s <(cut -d, -f1-6 "$tmp/first.csv") <(cut -d, -f1-6 "$tmp/out/label_ranking.csv"); then
  pass "restart: same table"; else fail "restart changed the table"; fi
[ ! -e "$tmp/leaked" ] && pass "OUT, FOLDS, GRID from the shell are ignored" || fail "the shell's OUT was used"

# 2b. the driver's lock, killed attempts' time, list separators, cut lists
driver() { timeout 120 bash "$top/scripts/label_ranking.sh" --out "$tmp/out" --grid "$tmp/tiny.grid" --folds 3 --set train.epochs=3 "$@"; }
export PERTURB_LABEL_RANKING_DIR=$tmp/data
sum_logs() { cat "$tmp/out"/*.log "$tmp/out"/*.seconds "$tmp/out/times.txt" | md5sum; }
before=$(sum_logs)
(exec 8>> "$tmp/out/job.lock"; flock 8; exec sleep 60) & holder=$!  # another job: holds the lock
while flock -n "$tmp/out/job.lock" true; do sleep 0.1; done  # until it does
status=0
driver > /dev/null 2> "$tmp/lock.err" || status=$?
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [ "$(wc -l < "$tmp/lock.err")" -eq 1 ] &&
   grep -q "another job is using the output directory '$tmp/out'" "$tmp/lock.err"; then
  pass "second job on the same directory: exit $status, '$(cat "$tmp/lock.err")'"
else fail "second job on the same directory: exit $status:"; cat "$tmp/lock.err"; fi
[ "$(sum_logs)" = "$before" ] && pass "second job: logs and times untouched" || fail "second job changed the logs or times"

# an fy attempt killed 40 s after its start, at its last write (times.txt sums the others)
old=$(awk '$1 == "fy" {print $2}' "$tmp/out/times.txt")
t0=$(( $(date +%s) - 100 ))
echo "started $t0" >> "$tmp/out/fy.seconds"
find "$tmp/out/fy.log" "$tmp/out/fy" -exec touch -d "@$((t0 + 40))" {} +
if driver --methods fy > "$tmp/killed.log" 2>&1; then pass "run after a killed attempt"; else fail "run after a killed attempt:"; cat "$tmp/killed.log"; fi
new=$(awk '$1 == "fy" {print $2}' "$tmp/out/times.txt")
killed=$(tail -n 2 "$tmp/out/fy.seconds" | head -n 1)
if [ "$killed" = 40.000 ] && awk -v a="$old" -v b="$new" 'BEGIN {exit !(b >= a + 40)}'; then
  pass "killed attempt counted up to its last write: 40.000 s; times.txt fy $old -> $new"
else fail "killed attempt: recorded '$killed', times.txt fy $old -> $new"; fi
grep -q "continuing the earlier attempt in $tmp/out/fy" "$tmp/killed.log" && pass "rerun says it continues" ||
  fail "rerun does not say it continues"

# the template's lists: ':' keeps every item; a list cut by --export's commas, or an old name, is refused
template() {  # template ENV... : label_ranking.sbatch as sbatch would start it, 1 task
  env "$@" SLURM_NTASKS=1 PERTURB_GRID="$tmp/tiny.grid" PERTURB_FOLDS=3 PERTURB_SETS=train.epochs=3 \
    PERTURB_OUT="$tmp/lists" bash "$top/scripts/slurm/label_ranking.sbatch"
}
if template PERTURB_DATASETS=toy_b:toy_a PERTURB_METHODS=ridge > "$tmp/lists.log" 2>&1 &&
   [ "$(grep -c '^toy_[ab],ridge,' "$tmp/lists/label_ranking.csv")" -eq 2 ] && [ ! -d "$tmp/lists/fy" ]; then
  pass "PERTURB_DATASETS=toy_b:toy_a PERTURB_METHODS=ridge: both datasets, ridge only"
else fail "':'-separated lists:"; cat "$tmp/lists.log"; fi
template_fails() {  # template_fails WHAT PATTERN ENV...
  local what=$1 pattern=$2 status=0
  shift 2
  template "$@" > /dev/null 2> "$tmp/t.err" || status=$?
  if [ "$status" -ne 0 ] && [ "$(wc -l < "$tmp/t.err")" -eq 1 ] && grep -q -- "$pattern" "$tmp/t.err"; then
    pass "$what: exit $status, '$(cat "$tmp/t.err")'"
  else fail "$what: exit $status:"; cat "$tmp/t.err"; fi
}
template_fails "list cut by --export" "cut PERTURB_DATASETS at a comma ('toy_b'" \
  SLURM_EXPORT_ENV=ALL,PERTURB_DATASETS=toy_a,toy_b,PERTURB_OUT=x PERTURB_DATASETS=toy_a
template_fails "overrides cut by --export" "cut PERTURB_SETS at a comma ('optim.lr=0.1'" \
  SLURM_EXPORT_ENV=ALL,PERTURB_SETS=train.epochs=3,optim.lr=0.1
template_fails "old name in --export" "OUT is not read .*use PERTURB_OUT" SLURM_EXPORT_ENV=ALL,OUT=x OUT=x

# 3. bad input: one line, non-zero exit
expect_fail() {  # expect_fail WHAT PATTERN ENV... -- ARGS...
  local what=$1 pattern=$2 status=0
  shift 2
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" timeout 120 bash "$top/scripts/label_ranking.sh" --out "$tmp/bad" "$@" > "$tmp/bad.out" 2> "$tmp/bad.err" ||
    status=$?
  local lines
  lines=$(wc -l < "$tmp/bad.err")
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [ "$lines" -eq 1 ] && grep -q -- "$pattern" "$tmp/bad.err"; then
    pass "$what: exit $status, '$(cat "$tmp/bad.err")'"
  else
    fail "$what: exit $status, $lines stderr lines:"; cat "$tmp/bad.err"
  fi
  # nothing written before the error may look complete
  local complete
  complete=$(/usr/bin/python3 -c '
import glob, sys, h5py
files = glob.glob(sys.argv[1] + "/*/sweep.h5") + glob.glob(sys.argv[1] + "/*/points/*.h5")
print(sum(int(h5py.File(f, "r").attrs.get("complete", 0)) for f in files))' "$tmp/bad")
  [ "$complete" -eq 0 ] && pass "$what: nothing marked complete" || fail "$what: $complete files marked complete"
  rm -rf "$tmp/bad"
}
expect_fail "missing data directory" "is not a directory" PERTURB_LABEL_RANKING_DIR="$tmp/nowhere" -- --grid "$tmp/tiny.grid"
expect_fail "unset data directory" "set PERTURB_LABEL_RANKING_DIR" PERTURB_LABEL_RANKING_DIR= -- --grid "$tmp/tiny.grid"
expect_fail "unknown dataset" "no dataset 'toy_c'" PERTURB_LABEL_RANKING_DIR="$tmp/data" -- --datasets toy_a,toy_c \
  --grid "$tmp/tiny.grid"
printf '# no methods\n' > "$tmp/empty.grid"
expect_fail "grid with no method" "no method" PERTURB_LABEL_RANKING_DIR="$tmp/data" -- --grid "$tmp/empty.grid"
printf 'fy optim.lrr=0.1\n' > "$tmp/typo.grid"
expect_fail "unknown grid key" "unknown key 'lrr'" PERTURB_LABEL_RANKING_DIR="$tmp/data" -- --grid "$tmp/typo.grid"
mkdir -p "$tmp/baddata"
printf 'f1,r1,r2,r3\n0.5,1,2,3\n0.7,1,1,3\n0.1,3,2,1\n' > "$tmp/baddata/twice.csv"
printf 'fy optim.lr=0.1\n' > "$tmp/one.grid"
expect_fail "CSV row not a permutation" "permutation" PERTURB_LABEL_RANKING_DIR="$tmp/baddata" -- --grid "$tmp/one.grid" \
  --folds 2
expect_fail "more folds than instances" "data.folds = 200 exceeds the 90 instances" PERTURB_LABEL_RANKING_DIR="$tmp/data" -- \
  --grid "$tmp/one.grid" --datasets toy_a --folds 200
printf 'fy optim.lr=\n' > "$tmp/novalues.grid"
expect_fail "empty grid axis" "has no values" PERTURB_LABEL_RANKING_DIR="$tmp/data" -- --grid "$tmp/novalues.grid"

finish label_ranking
