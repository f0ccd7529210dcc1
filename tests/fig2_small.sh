#!/usr/bin/env bash
# fig2_small.sh PERTURB: scripts/fig2.sh --small end to end (the digits are
# imported from Debian's python3-sklearn copy when data/digits.h5 is absent).
#  1. It writes fig2.png (a PNG), fig2.md and fig2.csv with one row per run
#     (5 named runs + 3 epsilons); every number in the CSV is finite and every
#     run's test accuracy is better than chance (0.1) with a margin.
#  2. Started again, it reruns nothing and the table is unchanged.
#  3. An unknown option, and --small with --config: one stderr line, exit 2.
set -euo pipefail
perturb=$1
top=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/checks.sh"
export PERTURB=$perturb
out=$tmp/fig2

if "$top/scripts/fig2.sh" --small --out "$out" > "$tmp/log1" 2>&1; then
  pass "fig2.sh --small ran"
else
  fail "fig2.sh --small failed: $(tail -3 "$tmp/log1")"
fi
[ "$(head -c 8 "$out/fig2.png" 2> /dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
  pass "fig2.png is a PNG" || fail "fig2.png missing or not a PNG"
[ "$(grep -c '^| ' "$out/fig2.md" 2> /dev/null)" -eq 9 ] && pass "fig2.md: header + 8 runs" ||
  fail "fig2.md: not 8 runs"
# Columns: name model loss samples epsilon epochs train_accuracy test_accuracy
# train_loss test_loss wall_seconds; epsilon is nan for cross-entropy.
if /usr/bin/python3 - "$out/fig2.csv" << 'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 8, f"{len(rows)} rows"
names = {r["name"] for r in rows}
want = {"fy_M1", "fy_M1000", "cross_entropy", "mlp_fy", "mlp_cross_entropy",
        "fy_eps0.1", "fy_eps1", "fy_eps10"}
assert names == want, names
for r in rows:
    for c in ("train_accuracy", "test_accuracy", "train_loss", "test_loss", "wall_seconds"):
        assert math.isfinite(float(r[c])), (r["name"], c, r[c])
    assert (r["loss"] == "cross_entropy") == math.isnan(float(r["epsilon"])), r["name"]
    assert int(r["epochs"]) == 4, (r["name"], r["epochs"])
    # Chance is 0.1 on 10 classes; 4 epochs reach ~0.9 on every run.
    assert float(r["test_accuracy"]) > 0.3, (r["name"], r["test_accuracy"])
PY
then pass "fig2.csv: 8 runs, finite numbers, test accuracy > 0.3"
else fail "fig2.csv: see above"
fi

cp "$out/fig2.csv" "$tmp/first.csv"
if "$top/scripts/fig2.sh" --small --out "$out" > "$tmp/log2" 2>&1; then
  n=$(grep -c 'done already' "$tmp/log2" || true)
  [ "$n" -eq 8 ] && pass "second start: 8 runs done already" || fail "second start: $n of 8 runs skipped"
  cmp -s "$out/fig2.csv" "$tmp/first.csv" && pass "second start: table unchanged" ||
    fail "second start: table changed"
else
  fail "second start failed: $(tail -3 "$tmp/log2")"
fi

set +e
"$top/scripts/fig2.sh" --bogus > "$tmp/o" 2> "$tmp/e"
rc=$?
set -e
[ "$rc" -eq 2 ] && [ "$(wc -l < "$tmp/e")" -eq 1 ] && grep -q "unknown option '--bogus'" "$tmp/e" &&
  pass "unknown option: one line, exit 2" || fail "unknown option: rc $rc, stderr: $(cat "$tmp/e")"
set +e
"$top/scripts/fig2.sh" --small --config "$top/experiments/classification/digits.ini" --out "$tmp/x" > "$tmp/o" 2> "$tmp/e"
rc=$?
set -e
[ "$rc" -eq 2 ] && [ "$(wc -l < "$tmp/e")" -eq 1 ] && grep -q "exclude each other" "$tmp/e" && [ ! -e "$tmp/x" ] &&
  pass "--small with --config: one line, exit 2, nothing written" || fail "--small --config: rc $rc, stderr: $(cat "$tmp/e")"
finish fig2_small
