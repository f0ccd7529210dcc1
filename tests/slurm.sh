#!/usr/bin/env bash
# slurm.sh PERTURB: the sbatch templates under a real single-node Slurm
# (Debian's slurmctld, slurmd and munge, configured and started here in a
# temporary directory, stopped on exit, even on failure). Jobs are submitted
# from outside the repository, with tiny configurations:
#  1. label_ranking.sbatch runs to COMPLETED; its log goes to the submit
#     directory; generic names (OUT, FOLDS) set in the shell are ignored.
#  2. A list cut by --export's commas fails the job with one line.
#  3. eps_sweep.sbatch and fig4.sbatch run to COMPLETED with their results.
#  4. A label-ranking job slowed down (a PERTURB wrapper that waits 35 s before
#     each sweep, printing a line every 5 s as a sign of life) is killed by its 1-minute time limit (state TIMEOUT); a second job
#     on its output directory meanwhile fails at once with the lock line and
#     leaves the first one's logs intact; submitted again, the job completes
#     with the same table and sweep summaries as the uninterrupted job of 1,
#     and every sweep the killed attempt started has its time counted.
# Where the daemons cannot start (not installed, not root, no node), it prints
# one line "slurm: SKIP: <why>" and exits 77 (SKIP_RETURN_CODE in CTest).
set -euo pipefail
perturb=$1
top=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/checks.sh"
skip() { echo "slurm: SKIP: $*"; exit 77; }
for c in munged slurmctld slurmd sbatch scontrol sinfo flock; do
  command -v "$c" > /dev/null || skip "$c not found (scripts/install-deps.sh --tests installs Slurm and munge)"
done
[ "$(id -u)" -eq 0 ] || skip "needs root (slurmd runs as root, SlurmUser=root)"

# Daemons: own key, socket, ports, state and logs; all stopped by the trap.
s=$tmp/slurm
mkdir -p "$s/state" "$s/spool" "$s/munge"
pids=()
stop() {
  if [ -n "${SLURM_CONF:-}" ]; then
    scancel --quiet --full --user=root > /dev/null 2>&1 || true
    for _ in $(seq 20); do [ -z "$(squeue -h 2> /dev/null)" ] && break; sleep 0.5; done
  fi
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
  rm -rf "$tmp"
}
trap stop EXIT
head -c 1024 /dev/urandom > "$s/munge/munge.key"
chmod 400 "$s/munge/munge.key"
munged --foreground --force --key-file="$s/munge/munge.key" --socket="$s/munge/socket" --pid-file="$s/munge/pid" \
  --log-file="$s/munge/log" --seed-file="$s/munge/seed" 2> "$s/munged.err" & pids+=($!)
for _ in $(seq 50); do [ -S "$s/munge/socket" ] && break; sleep 0.1; done
[ -S "$s/munge/socket" ] || skip "munged did not start: $(tail -n 1 "$s/munged.err" "$s/munge/log" 2>/dev/null | grep -v '^==' | tail -n 1)"
read -r port1 port2 < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
host=$(hostname -s)
# Four CPUs whatever the machine has (config_overrides): the slowed job and
# the others run side by side. No cgroup, no accounting database. Processes
# are tracked by process group: linuxproc loses a process whose parent died
# (an mpirun whose driver was killed first, and its ranks) and lets it run
# on after the job ended, holding the job's directory lock.
cat > "$s/slurm.conf" <<EOF
ClusterName=perturbtest
SlurmctldHost=$host
SlurmctldPort=$port1
SlurmdPort=$port2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$s/munge/socket
CredType=cred/munge
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MpiDefault=none
StateSaveLocation=$s/state
SlurmdSpoolDir=$s/spool
SlurmctldPidFile=$s/slurmctld.pid
SlurmdPidFile=$s/slurmd.pid
SlurmctldLogFile=$s/slurmctld.log
SlurmdLogFile=$s/slurmd.log
ReturnToService=2
KillWait=5
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=4 RealMemory=4000 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$s/slurm.conf
slurmctld -D -c -i -f "$SLURM_CONF" > "$s/slurmctld.err" 2>&1 & pids+=($!)
slurmd -D -f "$SLURM_CONF" > "$s/slurmd.err" 2>&1 & pids+=($!)
state=""
for _ in $(seq 60); do
  state=$(sinfo -h -N -o %T 2> /dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || skip "the node is not idle after 30 s (state '${state:-none}'): $(cat "$s"/*.err | tail -n 1)"
echo "slurm: one node ($host, 4 CPUs) up; slurm.conf in $s"

# Two tiny datasets (as tests/label_ranking.sh) and a tiny grid.
mkdir -p "$tmp/data" "$tmp/submit"
/usr/bin/python3 - "$tmp/data" <<'PY'
import sys
import numpy as np
rng = np.random.default_rng(7)
for name, n, d in (("toy_a", 90, 4), ("toy_b", 120, 5)):
    W = rng.normal(size=(d, 3))
    X = rng.normal(size=(n, 3))
    ranks = (-(X @ W.T + 0.5 * rng.normal(size=(n, d)))).argsort(axis=1).argsort(axis=1) + 1
    with open(f"{sys.argv[1]}/{name}.csv", "w") as f:
        f.write(",".join([f"f{j+1}" for j in range(3)] + [f"r{j+1}" for j in range(d)]) + "\n")
        for x, r in zip(X, ranks):
            f.write(",".join([f"{v:.6f}" for v in x] + [str(v) for v in r]) + "\n")
PY
printf 'fy      loss.epsilon=1 optim.lr=0.03,1\nsquared optim.lr=0.03,0.3\nridge   model.l2=0,0.1\n' > "$tmp/tiny.grid"
export PERTURB=$perturb PERTURB_LABEL_RANKING_DIR=$tmp/data
lr_vars=PERTURB_GRID=$tmp/tiny.grid,PERTURB_FOLDS=3,PERTURB_SETS=train.epochs=3,PERTURB_DATASETS=toy_a:toy_b

submit() {  # submit SBATCH-ARGS... : the job id; submitted from $tmp/submit, outside the repository
  (cd "$tmp/submit" && sbatch --parsable --mem-per-cpu=200M "$@")
}
job_state() { scontrol show job "$1" 2> /dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
wait_job() {  # wait_job ID [SECONDS]: its final state (polled: sbatch --wait polls too rarely)
  local st="" i
  for i in $(seq $((${2:-120} * 2))); do
    st=$(job_state "$1")
    case $st in PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED|SUSPENDED|'') sleep 0.5 ;; *) break ;; esac
  done
  echo "$st"
}
joblog() { echo "$tmp/submit/perturb-$1-$2.out"; }  # joblog NAME ID
expect_state() {  # expect_state WHAT ID NAME STATE
  local st
  st=$(wait_job "$2")
  if [ "$st" = "$4" ]; then pass "$1: $st"; else fail "$1: state $st, log:"; cat "$(joblog "$3" "$2")" || true; fi
}
same_results() {  # same_results DIR_A DIR_B METHODS...: same table and sweep summaries
  /usr/bin/python3 - "$@" <<'PY'
import os, sys
import h5py
import numpy as np
a, b, methods = sys.argv[1], sys.argv[2], sys.argv[3:]
bad = 0
for m in methods:
    if not all(os.path.exists(f"{d}/{m}/sweep.h5") for d in (a, b)):
        print(f"{m}: no sweep.h5"); bad += 1; continue
    sa, sb = (h5py.File(f"{d}/{m}/sweep.h5", "r")["summary"][()] for d in (a, b))
    for k in ("test_spearman", "train_loss", "train_spearman"):
        if len(sa) != len(sb) or not np.array_equal(sa[k], sb[k], equal_nan=True):
            print(f"{m}: {k} differs"); bad += 1
cut = lambda d: [",".join(l.split(",")[:6]) for l in open(f"{d}/label_ranking.csv")] if os.path.exists(f"{d}/label_ranking.csv") else None
if cut(a) is None or cut(a) != cut(b):
    print("label_ranking.csv differs"); bad += 1
sys.exit(1 if bad else 0)
PY
}

# 4 (started first, it runs alongside 1-3): slowed down, killed by its time limit.
cat > "$tmp/slow" <<EOF
#!/usr/bin/env bash
for i in 1 2 3 4 5 6 7; do echo "slow: \$i"; sleep 5; done
exec "$perturb" "\$@"
EOF
chmod +x "$tmp/slow"
killed=$(submit -n 2 --time=00:01:00 \
  --export=ALL,PERTURB=$tmp/slow,$lr_vars,PERTURB_OUT=$tmp/killed "$top/scripts/slurm/label_ranking.sbatch")
for _ in $(seq 60); do [ -s "$tmp/killed/fy.seconds" ] && break; sleep 0.5; done
second=$(submit -n 1 --export=ALL,$lr_vars,PERTURB_OUT=$tmp/killed "$top/scripts/slurm/label_ranking.sbatch")
st=$(wait_job "$second" 60)
log=$(joblog label-ranking "$second")
if [ "$st" = FAILED ] && [ "$(wc -l < "$log")" -eq 1 ] &&
   grep -q "another job is using the output directory '$tmp/killed'" "$log"; then
  pass "second job on the same directory: $st, '$(cat "$log")'"
else fail "second job on the same directory: $st, log:"; cat "$log" || true; fi

# 1. the uninterrupted job, with generic names set in the submitting shell
ref=$(OUT=$tmp/leaked FOLDS=2 submit -n 2 --export=ALL,$lr_vars,PERTURB_OUT=$tmp/ref "$top/scripts/slurm/label_ranking.sbatch")
expect_state "label_ranking.sbatch" "$ref" label-ranking COMPLETED
[ "$(cat "$tmp/ref/label_ranking.csv" 2> /dev/null | grep -c '^toy_[ab],')" -eq 6 ] &&
  pass "label_ranking.sbatch: table of 2 datasets x 3 methods" || fail "label_ranking.sbatch: no complete table"
[ -s "$(joblog label-ranking "$ref")" ] && pass "job log in the submit directory" || fail "no job log in the submit directory"
[ ! -e "$tmp/leaked" ] && [ -s "$tmp/ref/label_ranking.csv" ] && pass "OUT and FOLDS from the shell ignored" ||
  fail "the shell's OUT was used, or the job did not run"

# 2. a list cut by --export's commas
cut=$(submit -n 1 --export=ALL,$lr_vars,PERTURB_DATASETS=toy_a,toy_b,PERTURB_OUT=$tmp/cut "$top/scripts/slurm/label_ranking.sbatch")
st=$(wait_job "$cut" 60)
log=$(joblog label-ranking "$cut")
if [ "$st" = FAILED ] && [ "$(wc -l < "$log")" -eq 1 ] && grep -q "cut PERTURB_DATASETS at a comma ('toy_b'" "$log" &&
   [ ! -e "$tmp/cut" ]; then
  pass "list cut by --export: $st, '$(cat "$log")'"
else fail "list cut by --export: $st, log:"; cat "$log" || true; fi

# 3. the other two templates
eps=$(submit -n 2 --export=ALL,PERTURB_DATASETS=toy_a:toy_b,PERTURB_FOLDS=1,PERTURB_SETS=train.epochs=2,PERTURB_OUT=$tmp/eps \
  "$top/scripts/slurm/eps_sweep.sbatch")
expect_state "eps_sweep.sbatch" "$eps" eps-m COMPLETED
[ "$(tail -n +2 "$tmp/eps/eps_m.csv" 2> /dev/null | wc -l)" -eq 54 ] && pass "eps_sweep.sbatch: 2 datasets x 3 M x 9 epsilon" ||
  fail "eps_sweep.sbatch: eps_m.csv incomplete"
fig4=$(submit -n 2 --export=ALL,PERTURB_SMALL=1,PERTURB_LOSSES=fy:squared,PERTURB_SIGMAS=0:0.01,PERTURB_OUT=$tmp/fig4,PERTURB_SETS="synthetic.n=300 synthetic.labels=5 synthetic.features=3 train.epochs=3 train.checkpoint_every=1" \
  "$top/scripts/slurm/fig4.sbatch")
expect_state "fig4.sbatch" "$fig4" fig4 COMPLETED
[ "$(tail -n +2 "$tmp/fig4/fig4.csv" 2> /dev/null | wc -l)" -eq 4 ] && pass "fig4.sbatch: 2 losses x 2 sigmas" ||
  fail "fig4.sbatch: fig4.csv incomplete"

# 4. the slowed job: TIMEOUT; then again (not slowed): the same results
expect_state "slowed job, --time=00:01:00" "$killed" label-ranking TIMEOUT
log=$(joblog label-ranking "$killed")
nul=0
for f in "$tmp/killed"/fy.log; do [ "$(tr -d '\000' < "$f" | wc -c)" -eq "$(wc -c < "$f")" ] || nul=1; done 2> /dev/null
[ -s "$log" ] && [ "$nul" -eq 0 ] && pass "killed job's logs intact (no NUL bytes)" || fail "killed job's logs damaged"
started=$(sed -n 's/^== \([a-z_]*\): [0-9].*/\1/p' "$log" | sort -u)
again=$(submit -n 2 --export=ALL,$lr_vars,PERTURB_OUT=$tmp/killed "$top/scripts/slurm/label_ranking.sbatch")
expect_state "submitted again" "$again" label-ranking COMPLETED
if same_results "$tmp/ref" "$tmp/killed" fy squared ridge; then pass "same table and sweep summaries as the uninterrupted job"
else fail "results differ from the uninterrupted job"; fi
grep -q "continuing the earlier attempt" "$(joblog label-ranking "$again")" && pass "the resubmitted job says it continues" ||
  fail "the resubmitted job does not say it continues"
# Each sweep the killed attempt started (the last one interrupted) has two
# attempts in its .seconds file; the killed attempt's add up to at least the
# 35 s its wrapper waited before the first sweep.
bad=""
for m in $started; do
  f=$tmp/killed/$m.seconds
  [ "$(wc -l < "$f")" -eq 2 ] || bad="$bad $m:$(paste -sd/ "$f")"
done
first=$(for m in $started; do head -n 1 "$tmp/killed/$m.seconds"; done | awk '{s += $1} END {printf "%.0f", s}')
if [ -n "$started" ] && [ "$(echo "$started" | wc -l)" -ge 2 ] && [ -z "$bad" ] && [ "$first" -ge 35 ]; then
  pass "times: the killed attempt's $first s counted for $(echo $started) (times.txt: $(paste -sd' ' "$tmp/killed/times.txt"))"
else fail "times: killed attempt not counted (started: $(echo $started);$bad; $first s)"; fi

finish slurm
