# mpi_env.sh: sourced by the experiment drivers once $np (ranks) is set.
# Exports one OpenBLAS thread per rank (the ranks already fill the cores) and,
# as root, Open MPI's permission to run; sets
# mpirun_args: -q (a bad input shows as one line), -n $np, and --oversubscribe
# when there are more ranks than cores outside a Slurm job (fine for
# correctness runs; under Slurm the allocation provides the slots).
export OPENBLAS_NUM_THREADS=1
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpirun_args=(-q -n "$np")
if [ -z "${SLURM_JOB_ID:-}" ] && [ "$np" -gt "$(nproc)" ]; then mpirun_args+=(--oversubscribe); fi
