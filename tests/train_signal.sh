#!/usr/bin/env bash
# train_signal.sh PERTURB: SIGTERM and SIGINT stop a run cleanly.
#  1. SIGTERM to the rank processes (as Slurm signals every task at a time
#     limit) in the middle of an epoch: exit status 143 through mpirun, one
#     line on stderr ("interrupted by SIGTERM at epoch E, step S; continue
#     with --resume") matching the checkpoint in the run file, which is not
#     complete and holds E metrics rows; resumed on 1 rank, the run ends
#     bitwise identical to an uninterrupted one.
#  2. SIGTERM to mpirun: Open MPI 4.1 sends the ranks SIGTERM a second later
#     and SIGKILL a second after that, and exits 1 whatever they return: the
#     same line, a non-zero exit, and the resumed run identical.
#  3. SIGINT to the ranks: exit status 130, the line names SIGINT.
#  4. SIGTERM while the ranks are still loading the data (a large CSV): the
#     same clean stop at epoch 0, step 0, and the run resumes to completion.
set -u
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"
pids=
cleanup() {
  for p in $pids; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# 100 epochs: the run must outlast the 1 s Open MPI takes to pass a SIGTERM on
{ cat "$here/data/interruptible.ini"; echo "epochs = 100"; } > "$tmp/c.ini"
attr() { /usr/bin/python3 -c "import h5py,sys; f=h5py.File(sys.argv[1]); print(int(f[sys.argv[2]].attrs[sys.argv[3]]))" "$@" 2>/dev/null || echo -1; }
rows() { /usr/bin/python3 -c "import h5py,sys; print(len(h5py.File(sys.argv[1])['metrics']))" "$1" 2>/dev/null || echo -1; }

timeout 300 mpirun -q -n 2 "$perturb" train "$tmp/c.ini" --out "$tmp/full.h5" >/dev/null ||
  { echo "FAIL: the uninterrupted run failed"; exit 1; }
epoch_seconds=$(/usr/bin/python3 -c "import h5py,sys; m=h5py.File(sys.argv[1])['metrics']; print(m[-1]['wall_seconds']/len(m))" "$tmp/full.h5")
echo "uninterrupted run: $epoch_seconds s per epoch"

# start NAME [perturb args...]: starts mpirun -n 2 in the background ($pid);
# its children are the ranks (Open MPI 4 on one node).
start() {
  local name=$1
  shift
  timeout 300 mpirun -q -n 2 "$perturb" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pid=$!
  pids="$pids $pid"
}
ranks() { pgrep -P "$(pgrep -P "$pid" -x mpirun || echo "$pid")" 2>/dev/null; }
# mid_epoch FILE: waits for the checkpoint of epoch 1, then half an epoch.
mid_epoch() {
  for _ in $(seq 1200); do
    [ "$(attr "$1" / epochs_done)" -ge 1 ] && break
    sleep 0.05
  done
  sleep "$(/usr/bin/python3 -c "print($epoch_seconds / 2)")"
}
# stopped NAME SIG STATUS: mpirun's exit status is STATUS ("nonzero": any but
# 0 and timeout's 124), stderr is the one line naming SIG and the checkpoint.
stopped() {
  local name=$1 sig=$2 want=$3 rc
  wait "$pid"
  rc=$?
  local file=$tmp/$name.h5 e s
  e=$(attr "$file" checkpoint epoch)
  s=$(attr "$file" checkpoint step)
  local line="perturb train: interrupted by $sig at epoch $e, step $s; continue with --resume"
  if [ "$want" = nonzero ] && { [ $rc -eq 0 ] || [ $rc -eq 124 ]; }; then fail "$name: exit status $rc"
  elif [ "$want" != nonzero ] && [ $rc -ne "$want" ]; then fail "$name: exit status $rc, wanted $want"
  else pass "$name: exit status $rc"; fi
  # mpirun's own event library may add "[warn] Epoll ... Bad file descriptor"
  # when mpirun itself is signalled: its line, not perturb's, so not counted
  local err
  err=$(grep -v '^\[warn\] Epoll ' "$tmp/$name.err")
  if [ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ] && [ "$err" = "$line" ]; then
    pass "$name: $line (batch_offset $(attr "$file" checkpoint batch_offset))"
  else
    fail "$name: stderr is not the one line '$line': $(head -c 400 "$tmp/$name.err")"
  fi
  if [ "$(attr "$file" / complete)" = 0 ] && [ "$(rows "$file")" = "$e" ] && ! grep -q complete "$tmp/$name.out"; then
    pass "$name: run file not complete, $e metrics rows"
  else
    fail "$name: run file complete = $(attr "$file" / complete), $(rows "$file") metrics rows (epoch $e)"
  fi
}
# resumed NAME [compare]: --resume on 1 rank says where it continues, and
# (with compare) ends identical to the uninterrupted run.
resumed() {
  local file=$tmp/$1.h5 e s
  e=$(attr "$file" checkpoint epoch)
  s=$(attr "$file" checkpoint step)
  shift
  if ! timeout 300 mpirun -q -n 1 "$perturb" train "$@" --out "$file" --resume >"$tmp/resume.out" 2>"$tmp/resume.err"; then
    fail "resume of $file: $(head -c 300 "$tmp/resume.err")"
  elif ! grep -qxF "perturb train: resumed $file from epoch $e (step $s)" "$tmp/resume.out"; then
    fail "resume of $file: no line 'resumed $file from epoch $e (step $s)': $(head -3 "$tmp/resume.out")"
  else
    pass "$(grep resumed "$tmp/resume.out")"
  fi
}
identical() {
  if out=$(/usr/bin/python3 "$here/compare_runs.py" "$tmp/full.h5" "$tmp/$1.h5"); then pass "$1: resumed run $out"
  else fail "$1: resumed run differs: $out"; fi
}

# 1. SIGTERM to the ranks, mid-epoch
start term_ranks train "$tmp/c.ini" --out "$tmp/term_ranks.h5"
mid_epoch "$tmp/term_ranks.h5"
kill -TERM $(ranks)
stopped term_ranks SIGTERM 143
resumed term_ranks "$tmp/c.ini"
identical term_ranks

# 2. SIGTERM to mpirun: Open MPI 4.1 passes SIGTERM to the ranks 1 s later
#    and SIGKILL 1 s after that (MCA odls_base_sigkill_timeout, default 1)
start term_mpirun train "$tmp/c.ini" --out "$tmp/term_mpirun.h5"
mid_epoch "$tmp/term_mpirun.h5"
kill -TERM "$(pgrep -P "$pid" -x mpirun)"
stopped term_mpirun SIGTERM nonzero
resumed term_mpirun "$tmp/c.ini"
identical term_mpirun

# 3. SIGINT to the ranks
start int_ranks train "$tmp/c.ini" --out "$tmp/int_ranks.h5"
mid_epoch "$tmp/int_ranks.h5"
kill -INT $(ranks)
stopped int_ranks SIGINT 130

# 4. SIGTERM during loading: once every rank has the CSV open
/usr/bin/python3 - "$tmp/big.csv" <<'PY'
import sys
import numpy as np
rng = np.random.default_rng(1)
n, p, d = 100000, 10, 5
X = rng.normal(size=(n, p))
R = np.argsort(rng.random((n, d)), axis=1) + 1
with open(sys.argv[1], "w") as f:
    f.write(",".join([f"f{i + 1}" for i in range(p)] + [f"r{j + 1}" for j in range(d)]) + "\n")
    np.savetxt(f, np.hstack([X, R]), fmt=["%.6f"] * p + ["%d"] * d, delimiter=",")
PY
printf '[data]\ndataset = big\ncsv_dir = %s\n[train]\nepochs = 1\nbatch_size = 50000\n' "$tmp" > "$tmp/big.ini"
start loading train "$tmp/big.ini" --out "$tmp/loading.h5"
for _ in $(seq 2000); do
  open=0
  for r in $(ranks); do ls -l "/proc/$r/fd" 2>/dev/null | grep -q "$tmp/big.csv" && open=$((open + 1)); done
  [ "$open" -eq 2 ] && break
  sleep 0.01
done
kill -TERM $(ranks)
stopped loading SIGTERM 143
[ "$(attr "$tmp/loading.h5" checkpoint step)" = 0 ] && pass "loading: stopped before the first step" ||
  fail "loading: stopped at step $(attr "$tmp/loading.h5" checkpoint step), not before the first"
resumed loading "$tmp/big.ini"
finish train_signal
