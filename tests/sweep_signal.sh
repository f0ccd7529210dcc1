#!/usr/bin/env bash
# sweep_signal.sh PERTURB: SIGTERM to the ranks of a running `perturb sweep`
# (2 ranks, groups of 1, 4 points): no point is handed out after it, each
# running point stops at its next step with a checkpoint (a line per point),
# the sweep prints one line on stderr and exits 143, sweep.h5 says not
# complete; started again (on 1 rank), it continues every point from its
# checkpoint and ends bitwise identical to an uninterrupted sweep.
set -u
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"
pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

{ cat "$here/data/interruptible.ini"; echo "epochs = 4"; } > "$tmp/c.ini"
grid=(--grid train.seed=1,2,3,4)
timeout 300 mpirun -q -n 2 "$perturb" sweep "$tmp/c.ini" "${grid[@]}" --out "$tmp/full" >/dev/null ||
  { echo "FAIL: the uninterrupted sweep failed"; exit 1; }
attr() { /usr/bin/python3 -c "import h5py,sys; print(int(h5py.File(sys.argv[1]).attrs[sys.argv[2]]))" "$@" 2>/dev/null || echo -1; }

timeout 300 mpirun -q -n 2 "$perturb" sweep "$tmp/c.ini" "${grid[@]}" --out "$tmp/cut" >"$tmp/out" 2>"$tmp/err" &
pid=$!
# in the middle of the first points' second epoch
for _ in $(seq 1200); do
  [ "$(attr "$tmp/cut/points/0.h5" epochs_done)" -ge 1 ] && break
  sleep 0.05
done
sleep 0.2
kill -TERM $(pgrep -P "$(pgrep -P "$pid" -x mpirun)")
wait "$pid"
rc=$?
pid=
[ $rc -eq 143 ] && pass "exit status 143" || fail "exit status $rc, wanted 143"
# which points finished or stopped depends on timing; what holds either way:
done_now=0 started=0
for i in 0 1 2 3; do
  [ -e "$tmp/cut/points/$i.h5" ] || continue
  started=$((started + 1))
  [ "$(attr "$tmp/cut/points/$i.h5" complete)" = 1 ] && done_now=$((done_now + 1))
done
stopped=$(grep -c "): interrupted at epoch [0-9]*, step [0-9]* (checkpoint kept)" "$tmp/out")
line="perturb sweep: interrupted by SIGTERM: $done_now of 4 points complete ($tmp/cut); start the sweep again with the same arguments to continue"
if [ "$(grep -c . "$tmp/err")" -eq 1 ] && [ "$(cat "$tmp/err")" = "$line" ] && [ "$done_now" -lt 4 ]; then
  pass "one line: $line"
else
  fail "stderr is not the one line '$line': $(head -c 400 "$tmp/err")"
fi
# each group stops its one running point, and takes no other after it
if [ "$stopped" -ge 1 ] && [ "$stopped" -le 2 ] && [ "$stopped" -eq $((started - done_now)) ]; then
  pass "$stopped running points stopped with a checkpoint, none handed out after the signal"
else
  fail "$stopped points stopped, $started started, $done_now complete: $(cat "$tmp/out")"
fi
[ "$(attr "$tmp/cut/sweep.h5" complete)" = 0 ] && pass "sweep.h5 not complete" || fail "sweep.h5 complete = $(attr "$tmp/cut/sweep.h5" complete)"

want="$((4 - started)) to run, $stopped to resume, $done_now done earlier"
if timeout 300 mpirun -q -n 1 "$perturb" sweep "$tmp/c.ini" "${grid[@]}" --out "$tmp/cut" >"$tmp/out2" 2>"$tmp/err2" &&
  grep -qF "$want" "$tmp/out2"; then pass "restart: $(head -1 "$tmp/out2")"
else fail "restart (wanted '$want'): $(head -c 400 "$tmp/err2") $(head -1 "$tmp/out2")"; fi
for i in 0 1 2 3; do
  if out=$(/usr/bin/python3 "$here/compare_runs.py" "$tmp/full/points/$i.h5" "$tmp/cut/points/$i.h5" 2>&1); then
    pass "point $i $out"
  else
    fail "point $i: $out"
  fi
done
finish sweep_signal
