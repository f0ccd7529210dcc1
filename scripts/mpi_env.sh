# mpi_env.sh: sourced by the experiment drivers once $np (ranks) is set.
# Exports one OpenBLAS thread per rank (the ranks already fill the cores) and,
# as root, Open MPI's permission to run; sets
# mpirun_args: -q (a bad input shows as one line), -n $np, and --oversubscribe
# when there are more ranks than cores outside a Slurm job (fine for
# correctness runs; under Slurm the allocation provides the slots); defines
# lock_out (below).
export OPENBLAS_NUM_THREADS=1
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpirun_args=(-q -n "$np")
if [ -z "${SLURM_JOB_ID:-}" ] && [ "$np" -gt "$(nproc)" ]; then mpirun_args+=(--oversubscribe); fi

# lock_out DIR WHO: creates DIR and locks DIR/job.lock (flock) for the life of
# the driver and its children (mpirun inherits the descriptor; the kernel drops
# the lock when they die, even by SIGKILL). Called before the driver writes
# anything in DIR, so that a second job on the same directory (easy when
# resubmitting while a requeued copy is pending) stops at once with one line,
# exit 1, instead of truncating the first one's logs and timing files.
lock_out() {
  mkdir -p "$1"
  exec 9>> "$1/job.lock"
  flock -n 9 || {
    echo "$2: another job is using the output directory '$1' (it holds $1/job.lock); wait for it to end or choose another output directory" >&2
    exit 1
  }
}

# train_resumable NAME FILE CONFIG ARG...: one `perturb train CONFIG ARG...`
# into FILE, skipped when FILE is complete, resumed when it is an interrupted
# run (so that a driver killed by a time limit picks up where it stopped), and
# started afresh otherwise. Needs $perturb. Every perturb command runs under
# mpirun, also the one-process `info`: started without it, a sanitizer build
# of perturb can fail at exit inside LeakSanitizer.
train_resumable() {
  local name=$1 file=$2 config=$3 mode=(--force) first epochs
  shift 3
  if [ -f "$file" ]; then
    first=$(mpirun -q -n 1 "$perturb" info "$file" 2>/dev/null | sed -n 1p || true)
    case $first in
      *", complete,"*) echo "== $name: done already ($file)"; return ;;
    esac
    mode=(--resume)
    epochs=$(echo "$first" | sed -n 's/.*, \([0-9]*\) epochs done.*/\1/p')
    echo "== $name: resuming the interrupted run $file from epoch ${epochs:-?}"
  else
    echo "== $name"
  fi
  mpirun "${mpirun_args[@]}" "$perturb" train "$config" "$@" --out "$file" "${mode[@]}"
}
