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
