#!/usr/bin/env bash
# train_resume.sh PERTURB: a run killed with SIGKILL in the middle of an epoch
# leaves a run file that is not marked complete; resumed with --resume, it
# ends with weights and metrics bitwise identical to an uninterrupted run.
set -euo pipefail
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
cleanup() { pkill -9 -f -- "--out $tmp/cut.h5" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
{ cat "$here/data/interruptible.ini"; echo "epochs = 10"; } > "$tmp/c.ini"
mpi() { timeout 300 mpirun -n 2 --oversubscribe "$perturb" "$@"; }

mpi train "$tmp/c.ini" --out "$tmp/full.h5" >/dev/null
epoch_seconds=$(/usr/bin/python3 -c "import h5py,sys; m=h5py.File(sys.argv[1])['metrics']; print(m[-1]['wall_seconds']/len(m))" "$tmp/full.h5")
echo "uninterrupted run: $epoch_seconds s per epoch"

# The run to kill. mpirun starts the ranks in process groups of their own, so
# the kill goes to every process whose command line names this run file (as a
# batch scheduler kills every process of a job).
timeout 300 mpirun -n 2 --oversubscribe "$perturb" train "$tmp/c.ini" --out "$tmp/cut.h5" >/dev/null 2>&1 &
pid=$!
epochs_done() { /usr/bin/python3 -c "import h5py,sys; print(int(h5py.File(sys.argv[1]).attrs['epochs_done']))" "$1" 2>/dev/null || echo 0; }
for _ in $(seq 600); do
  [ "$(epochs_done "$tmp/cut.h5")" -ge 3 ] && break
  sleep 0.05
done
# half an epoch after the checkpoint of epoch 3: in the middle of epoch 4
sleep "$(/usr/bin/python3 -c "print($epoch_seconds / 2)")"
pkill -9 -f -- "--out $tmp/cut.h5" || true
wait "$pid" 2>/dev/null || true
sleep 0.5
if pgrep -f -- "--out $tmp/cut.h5" >/dev/null; then echo "FAIL: processes survived the kill"; exit 1; fi
done_at_kill=$(epochs_done "$tmp/cut.h5")
complete=$(/usr/bin/python3 -c "import h5py,sys; print(int(h5py.File(sys.argv[1]).attrs['complete']))" "$tmp/cut.h5")
echo "killed: run file says $done_at_kill epochs done, complete = $complete"
fails=0
if [ "$complete" != 0 ] || [ "$done_at_kill" -ge 10 ]; then echo "FAIL: the killed run is marked complete"; fails=1; fi
"$perturb" info "$tmp/cut.h5" | head -1
mpi train "$tmp/c.ini" --out "$tmp/cut.h5" --resume >/dev/null
if /usr/bin/python3 "$here/compare_runs.py" "$tmp/full.h5" "$tmp/cut.h5"; then echo "ok: resumed run identical"; else
  echo "FAIL: resumed run differs"; fails=$((fails + 1)); fi
echo "train_resume: $((2 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
