# job_env.sh: sourced by the sbatch templates once $job (the template's name)
# and $root (the repository) are set. Checks what sbatch --export passed and
# gives the templates job_list and job_path.
#
# Every variable a template reads has the prefix PERTURB_: under the default
# --export=ALL the whole submitting shell reaches the job, and generic names
# (OUT, FOLDS, GRID, ...) set there for something else would silently change
# the experiment. List values are separated by ':' or spaces, because sbatch
# splits --export at commas: --export=ALL,PERTURB_DATASETS=iris,wine gives
# PERTURB_DATASETS=iris and takes "wine" for the name of a variable to export.
# sbatch passes its --export value on as SLURM_EXPORT_ENV, so such a cut list
# is detected here (a bare name or a non-variable "a.b=c" right after a list
# variable) and stops the job with one line. A list set in the submitting
# shell (export PERTURB_DATASETS=iris,wine; sbatch ...) keeps its commas and is
# accepted too.

job_die() { echo "$job: $*" >&2; exit 2; }

# job_check_export OLD=NEW...: one line and exit 2 for a list cut by --export's
# commas, or for an old unprefixed name given in --export (named with its new
# name). Names from the shell are not checked: they are not ours.
job_check_export() {
  local spec=${SLURM_EXPORT_ENV:-} list="" token name pair old
  [ -n "$spec" ] || return 0
  local IFS=,
  for token in $spec; do
    if [[ $token =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then
      name=${token%%=*}
      for pair in "$@"; do
        old=${pair%%=*}
        [ "$name" = "$old" ] && job_die "$old is not read (generic names leak in from the shell under --export=ALL): use ${pair#*=}"
      done
      case $name in
        PERTURB_DATASETS|PERTURB_METHODS|PERTURB_SIGMAS|PERTURB_LOSSES|PERTURB_SETS) list=$name ;;
        *) list="" ;;
      esac
    elif [ "$token" = ALL ] || [ "$token" = NONE ] || [ "$token" = NIL ]; then
      list=""
    elif [ -n "$list" ]; then
      job_die "sbatch --export cut $list at a comma ('$token' was left over): separate its items with ':' (e.g. $list=a:b:c)"
    fi
  done
}

# job_list VALUE: VALUE's items (separated by ':', spaces or commas) joined
# with commas, as the drivers take them.
job_list() {
  local v=${1//:/ }
  v=${v//,/ }
  # shellcheck disable=SC2086
  set -- $v
  local IFS=,
  echo "$*"
}

# job_path PATH: PATH itself if it exists relative to the job's working
# directory (or is absolute), else the repository's file of that name (the
# documented examples name repository files like experiments/...).
job_path() {
  if [ -e "$1" ] || [ ! -e "$root/$1" ]; then echo "$1"; else echo "$root/$1"; fi
}
