# checks.sh: sourced by the shell tests. A temporary directory $tmp removed on
# exit (a test with more to clean up sets its own EXIT trap and removes $tmp
# there), counters with pass/fail, and `finish NAME`, the last line and the
# exit status.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
checks=0
pass() { checks=$((checks + 1)); echo "ok: $*"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
finish() {
  echo "$1: $checks checks, $((checks - fails)) passed, $fails failed"
  [ "$fails" -eq 0 ]
}

# kill_after_checkpoints OUT PID N: waits until the run writing OUT (its
# process PID, started in the background) has replaced OUT N times — every
# checkpoint is a new file, a new inode: the Nth is the end of epoch N — then
# kills its processes with SIGKILL and reaps PID.
kill_after_checkpoints() {
  local out=$1 pid=$2 want=$3 seen="" ino
  for _ in $(seq 20000); do
    ino=$(stat -c %i "$out" 2>/dev/null) || ino=""
    [ -n "$ino" ] && case " $seen " in *" $ino "*) ;; *) seen="$seen $ino" ;; esac
    [ "$(echo $seen | wc -w)" -ge "$want" ] && break
    sleep 0.005
  done
  pkill -9 -f -- "--out $out" || true
  wait "$pid" 2>/dev/null
  sleep 0.3
}
