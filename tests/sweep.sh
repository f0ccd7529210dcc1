#!/usr/bin/env bash
# sweep.sh PERTURB: `perturb sweep`.
#  1. The same sweep on 1, 2 and 4 ranks (4 oversubscribed), in groups of 1
#     and 2 ranks, gives bitwise identical point run files; sweep.h5 holds the
#     grid in order (first axis slowest), each point's configuration, copies
#     of its metrics and model, and the summary.
#  2. A sweep killed with SIGKILL in the middle and started again keeps the
#     finished points (their files are not rewritten), resumes the
#     interrupted ones, and ends identical to an uninterrupted sweep.
#  3. Bad input: one line on stderr, a non-zero exit, no hang; grid errors
#     before anything is written.
set -euo pipefail
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"
holder=
cleanup() {
  pkill -9 -f -- "--out $tmp/cut" 2>/dev/null || true
  [ -n "$holder" ] && kill "$holder" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# check_sweep DIR AXIS...: sweep.h5 against the point files and the grid.
check_sweep() {
  /usr/bin/python3 - "$@" <<'PY'
import configparser, itertools, sys
import h5py

d, specs = sys.argv[1], sys.argv[2:]
keys = [s.split("=", 1)[0] for s in specs]
values = [s.split("=", 1)[1].split(",") for s in specs]
points = list(itertools.product(*values))  # first axis slowest
text = lambda v: v.decode() if isinstance(v, bytes) else v
metrics = ["train_loss", "test_spearman", "test_exact", "wall_seconds", "train_spearman", "train_exact",
           "test_loss", "train_accuracy", "test_accuracy", "test_optimal", "test_cost_ratio", "test_regret",
           "train_optimal", "train_cost_ratio", "train_regret"]
with h5py.File(f"{d}/sweep.h5", "r") as f:
    assert f.attrs["format"] == "perturb-sweep", "format"
    assert int(f.attrs["complete"]) == 1, "sweep.h5 not complete"
    assert int(f.attrs["npoints"]) == len(points), "npoints"
    assert f.attrs["grid"] == "".join(s + "\n" for s in specs), f"grid attribute {f.attrs['grid']!r}"
    s = f["summary"][...]
    assert list(s.dtype.names) == ["index"] + keys + metrics, f"summary columns {s.dtype.names}"
    assert len(s) == len(points), "summary rows"
    for i, p in enumerate(points):
        row, g = s[i], f[f"points/{i}"]
        assert row["index"] == i, f"summary row {i}"
        assert [text(row[k]) for k in keys] == list(p), f"summary row {i}: {row}"
        assert g.attrs["name"] == " ".join(f"{k}={v}" for k, v in zip(keys, p)), f"name of point {i}"
        assert int(g.attrs["complete"]) == 1, f"point {i} not complete"
        cfg = configparser.ConfigParser()
        cfg.read_string(g.attrs["config"])
        for k, v in zip(keys, p):
            section, key = k.split(".")
            assert cfg[section][key] == v, f"point {i}: {k} = {cfg[section][key]}, expected {v}"
        with h5py.File(f"{d}/points/{i}.h5", "r") as r:
            assert int(r.attrs["complete"]) == 1, f"points/{i}.h5 not complete"
            assert r.attrs["config"] == g.attrs["config"], f"point {i}: config differs from its run file"
            assert r["model/params"][...].tobytes() == g["model/params"][...].tobytes(), f"point {i}: model copy"
            assert r["metrics"][...].tobytes() == g["metrics"][...].tobytes(), f"point {i}: metrics copy"
            last = r["metrics"][-1]
            for c in metrics:
                same = row[c] == last[c] or (row[c] != row[c] and last[c] != last[c])  # NaN: not evaluated
                assert same, f"point {i}: summary {c}"
print(f"sweep.h5 of {d}: {len(points)} points, summary and copies match the run files")
PY
}

# ---- 1. the same results on any ranks and groups -----------------------------
cat > "$tmp/c.ini" <<'INI'
[synthetic]
kind = per_label
n = 120
labels = 8
features = 5
sigma = 0.1
seed = 3
[optim]
kind = adam
lr = 0.05
[train]
epochs = 3
batch_size = 6
seed = 11
INI
grid=(--grid loss.epsilon=0.3,1 --grid loss.kind=fy,perturbed_squared)
for run in "1 1" "2 1" "2 2" "4 1" "4 2"; do
  set -- $run
  if timeout 120 mpirun -q -n "$1" --oversubscribe "$perturb" sweep "$tmp/c.ini" "${grid[@]}" --group-size "$2" \
      --out "$tmp/r$1g$2" >"$tmp/r$1g$2.out"; then
    pass "sweep on $1 ranks, groups of $2: $(tail -1 "$tmp/r$1g$2.out" | cut -c1-60)..."
  else
    fail "sweep on $1 ranks, groups of $2 exited with $?"
  fi
done
for i in 0 1 2 3; do
  if out=$(/usr/bin/python3 "$here/compare_runs.py" "$tmp"/r{1g1,2g1,2g2,4g1,4g2}/points/$i.h5 2>&1); then
    pass "point $i identical on 1, 2, 4 ranks in groups of 1 and 2 ($out)"
  else
    fail "point $i differs: $out"
  fi
done
if out=$(check_sweep "$tmp/r4g2" loss.epsilon=0.3,1 loss.kind=fy,perturbed_squared 2>&1); then pass "$out"; else
  fail "sweep.h5: $out"; fi
# one progress line per point from its group's leader, then where the summary is
if [ "$(grep -c '^point [0-9]* (' "$tmp/r4g2.out")" -eq 4 ] && tail -1 "$tmp/r4g2.out" | grep -q "summary: $tmp/r4g2/sweep.h5"; then
  pass "progress: 4 point lines and the summary line"
else
  fail "progress output:"; sed 's/^/    /' "$tmp/r4g2.out"
fi

# ---- 2. killed with SIGKILL, started again -------------------------------------
cat > "$tmp/k.ini" <<'INI'
[synthetic]
kind = per_label
n = 2000
labels = 50
features = 10
sigma = 0.05
seed = 5
[loss]
samples = 40
[train]
epochs = 24
batch_size = 16
seed = 2
checkpoint_every = 1
INI
kgrid=(--grid loss.epsilon=0.2,0.5,1 --grid train.seed=1,2)
timeout 300 mpirun -q -n 2 "$perturb" sweep "$tmp/k.ini" "${kgrid[@]}" --group-size 2 --out "$tmp/full" >/dev/null
# states DIR: "complete incomplete" point indices, comma-separated ("-" for none)
states() {
  /usr/bin/python3 - "$1" <<'PY'
import glob, os, sys
import h5py
done, started = [], []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "points", "*.h5"))):
    try:
        with h5py.File(path, "r") as f:
            (done if int(f.attrs["complete"]) else started).append(os.path.basename(path)[:-3])
    except Exception:
        pass  # replaced while we read it
print(",".join(sorted(done, key=int)) or "-", ",".join(sorted(started, key=int)) or "-")
PY
}
# kill_midway DIR: kills the sweep writing DIR once two points are complete
# and another has a checkpoint but is not. One interpreter polls every 20 ms
# and kills the moment it sees that state: starting an interpreter per look
# (0.3 s) gave the sweep time to move on between the look and the kill.
kill_midway() {
  /usr/bin/python3 - "$1" <<'PY'
import glob, os, subprocess, sys, time
import h5py
d = sys.argv[1]
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    done = started = 0
    for path in glob.glob(os.path.join(d, "points", "*.h5")):
        try:
            with h5py.File(path, "r") as f:
                if int(f.attrs["complete"]):
                    done += 1
                else:
                    started += 1
        except Exception:
            pass  # being written or replaced
    if done >= 2 and started >= 1:
        break
    time.sleep(0.02)
subprocess.run(["pkill", "-9", "-f", "--", "--out " + d])
PY
}
# The sweep to kill, as two groups of one rank. mpirun starts the ranks in
# process groups of their own, so the kill goes to every process whose command
# line names this sweep's directory (as a batch scheduler kills a job).
# If the kill still lands after the state moved on, the experiment is
# repeated in a new directory, at most three times.
for attempt in 1 2 3; do
  cut="$tmp/cut$attempt"
  timeout 300 mpirun -q -n 2 "$perturb" sweep "$tmp/k.ini" "${kgrid[@]}" --out "$cut" >"$tmp/cut1.out" 2>&1 &
  pid=$!
  kill_midway "$cut"
  wait "$pid" 2>/dev/null || true
  sleep 0.5
  if pgrep -f -- "--out $cut" >/dev/null; then fail "processes survived the kill"; exit 1; fi
  read -r done started < <(states "$cut")
  echo "attempt $attempt: killed with points complete: $done; with a checkpoint, not complete: $started"
  [ "$done" != - ] && [ "$started" != - ] && break
done
if [ "$done" = - ] || [ "$started" = - ]; then
  fail "the kill did not land between points (complete: $done, started: $started)"
else
  pass "killed in the middle: points $done complete, $started interrupted"
fi
fingerprint() { # the complete points' checksums and modification times
  for i in ${done//,/ }; do
    [ "$i" = - ] || echo "$i $(md5sum <"$cut/points/$i.h5") $(stat -c %y "$cut/points/$i.h5")"
  done
}
fingerprint >"$tmp/before"
timeout 300 mpirun -q -n 2 "$perturb" sweep "$tmp/k.ini" "${kgrid[@]}" --out "$cut" >"$tmp/cut2.out"
ndone=$(echo "$done" | tr , '\n' | grep -c '[0-9]' || true)
nstarted=$(echo "$started" | tr , '\n' | grep -c '[0-9]' || true)
if head -1 "$tmp/cut2.out" | grep -q "$nstarted to resume, $ndone done earlier"; then
  pass "restart: $(head -1 "$tmp/cut2.out")"
else
  fail "restart should resume $nstarted and keep $ndone points: $(head -1 "$tmp/cut2.out")"
fi
fingerprint >"$tmp/after"
rerun=
for i in ${done//,/ }; do grep -q "^point $i (" "$tmp/cut2.out" && rerun="$rerun $i"; done
if cmp -s "$tmp/before" "$tmp/after" && [ -z "$rerun" ]; then
  pass "finished points not rewritten (checksums and mtimes unchanged, no progress line)"
else
  fail "finished points were redone:$rerun"; diff "$tmp/before" "$tmp/after" || true
fi
identical=0
for i in 0 1 2 3 4 5; do
  if out=$(/usr/bin/python3 "$here/compare_runs.py" "$tmp/full/points/$i.h5" "$cut/points/$i.h5" 2>&1); then
    identical=$((identical + 1))
  else
    fail "point $i after the restart differs from the uninterrupted sweep: $out"
  fi
done
[ "$identical" -eq 6 ] && pass "all 6 points identical to the uninterrupted sweep (2 ranks as one group of 2)"
if out=$(check_sweep "$cut" loss.epsilon=0.2,0.5,1 train.seed=1,2 2>&1); then pass "$out"; else
  fail "sweep.h5 after the restart: $out"; fi
if ls "$cut" "$cut/points" | grep -q '\.tmp\.\|\.probe\.'; then fail "temporaries left behind"; else
  pass "no temporaries left behind"; fi

# ---- 3. bad input -------------------------------------------------------------------
# expect NAME SUBSTRING [--np N] -- ARGS...: non-zero exit (not a timeout),
# exactly one line on stderr, containing SUBSTRING.
expect() {
  local name=$1 want=$2 np=2
  shift 2
  if [ "$1" = --np ]; then np=$2; shift 2; fi
  [ "$1" = -- ] && shift
  timeout 60 mpirun -q -n "$np" --oversubscribe "$perturb" sweep "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$? lines
  lines=$(grep -c . "$tmp/err")
  if [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" "$tmp/err"; then
    fail "$name: exit $rc, $lines stderr lines (wanted one containing '$want'):"
    sed 's/^/    /' "$tmp/err" | head -5
  else
    pass "$name -> $(cat "$tmp/err")"
  fi
}
set +e
C=$tmp/c.ini
E=(--out "$tmp/e")
expect "empty grid axis" "loss.epsilon has no values" -- "$C" --grid loss.epsilon= "${E[@]}"
expect "empty grid value" "value 2 of the axis loss.epsilon is empty" -- "$C" --grid loss.epsilon=0.1,,0.2 "${E[@]}"
expect "grid key that does not exist" "unknown key 'epsilonn'" -- "$C" --grid loss.epsilonn=0.1,0.2 "${E[@]}"
expect "grid section that does not exist" "unknown section [los]" -- "$C" --grid los.epsilon=0.1 "${E[@]}"
expect "bad grid value" "loss.epsilon must be > 0 (got -1)" -- "$C" --grid loss.epsilon=0.1,-1 "${E[@]}"
expect "bad grid choice" "got 'fyy'" -- "$C" --grid loss.epsilon=0.1 --grid loss.kind=fy,fyy "${E[@]}"
expect "grid axis without '='" "expected section.key=v1,v2" -- "$C" --grid loss.epsilon "${E[@]}"
expect "the same value twice" "are the same setting" -- "$C" --grid loss.epsilon=0.1,0.10 "${E[@]}"
expect "the same axis twice" "given twice" -- "$C" --grid loss.epsilon=0.1 --grid loss.epsilon=0.2 "${E[@]}"
expect "axis and override" "both a --grid axis and an override" -- "$C" --grid loss.epsilon=0.1 loss.epsilon=0.2 "${E[@]}"
expect "bad override" "loss.samples" -- "$C" --grid loss.epsilon=0.1 loss.samples=0 "${E[@]}"
if [ -e "$tmp/e" ]; then fail "a grid error created the output directory"; else pass "grid errors wrote nothing"; fi
expect "group size not dividing 2 ranks" "group size 3 does not divide the 2 ranks" -- "$C" --grid loss.epsilon=0.1 --group-size 3 "${E[@]}"
expect "group size not dividing 4 ranks" "group size 3 does not divide the 4 ranks" --np 4 -- "$C" --grid loss.epsilon=0.1 --group-size 3 "${E[@]}"
expect "group size not a number" "--group-size expects a positive integer" -- "$C" --grid loss.epsilon=0.1 --group-size two "${E[@]}"
expect "no grid" "needs at least one --grid" -- "$C" "${E[@]}"
expect "missing --out" "missing --out" -- "$C" --grid loss.epsilon=0.1
expect "missing config" "nonexistent.ini" -- "$tmp/nonexistent.ini" --grid loss.epsilon=0.1 "${E[@]}"
expect "restart with a different grid" "holds a sweep over another grid (--grid loss.epsilon=0.3,1 --grid loss.kind=fy,perturbed_squared)" \
  -- "$C" --grid loss.epsilon=0.3,2 --grid loss.kind=fy,perturbed_squared --out "$tmp/r1g1"
expect "restart with the axes swapped" "another grid" -- "$C" --grid loss.kind=fy,perturbed_squared --grid loss.epsilon=0.3,1 --out "$tmp/r1g1"
expect "restart with another base configuration" "base configuration differs at loss.samples" \
  -- "$C" "${grid[@]}" loss.samples=3 --out "$tmp/r1g1"
# a point file that belongs to another configuration
mkdir -p "$tmp/mixed/points" && cp "$tmp/r1g1/points/0.h5" "$tmp/mixed/points/1.h5"
expect "point file of another configuration" "points/1.h5' was trained with another configuration" \
  -- "$C" "${grid[@]}" --out "$tmp/mixed"
# another sweep holds the directory (a POSIX lock, as a running sweep's rank 0 holds it)
mkdir -p "$tmp/busy"
/usr/bin/python3 -c "import fcntl, sys, time; f = open(sys.argv[1], 'w'); fcntl.lockf(f, fcntl.LOCK_EX); print(flush=True); time.sleep(60)" \
  "$tmp/busy/sweep.lock" >"$tmp/holder.out" &
holder=$!
for _ in $(seq 100); do [ -s "$tmp/holder.out" ] && break; sleep 0.05; done
expect "directory in use" "in use by another perturb sweep" -- "$C" "${grid[@]}" --out "$tmp/busy"
kill "$holder"; holder=
# a point that fails (training diverges: epsilon = 1e-300 overflows Adam's second moment): the others finish and are kept
expect "a failing point" "1 of 2 points failed" -- "$C" --grid loss.epsilon=0.3,1e-300 loss.kind=perturbed_squared \
  --out "$tmp/diverge"
if /usr/bin/python3 -c "
import sys, h5py
f = h5py.File(sys.argv[1] + '/sweep.h5', 'r')
assert int(f.attrs['complete']) == 0 and int(f['points/0'].attrs['complete']) == 1 and int(f['points/1'].attrs['complete']) == 0
" "$tmp/diverge"; then pass "after a failed point: sweep.h5 complete = 0, the finished point kept"; else
  fail "sweep.h5 after a failed point"; fi
set -e

finish sweep
