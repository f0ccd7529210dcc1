#!/usr/bin/env bash
# cli_errors.sh PERTURB: bad command lines give one clear line on stderr and
# exit status 2, never a crash (a signal gives a status above 128).
set -u
exe=$1
fails=0; checks=0
expect_error() {
  checks=$((checks + 1))
  err=$("$exe" "$@" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ]; then
    echo "FAIL: perturb $* -> exit $rc, $lines stderr lines: $err"; fails=$((fails + 1))
  else
    echo "ok: perturb $* -> $err"
  fi
}
expect_error
expect_error frobnicate
expect_error bench --M 0
expect_error bench --d 1
expect_error bench --B abc
expect_error bench --d 10,x
expect_error bench --repeats
expect_error bench --nonsense
expect_error demo --epsilon 0
expect_error demo --epsilon -1
expect_error demo --epsilon nan
expect_error demo --seed -3
# the kernels' instruction set: an unknown name (an unsupported one is in test_simd)
PERTURB_SIMD=sse9 expect_error bench --d 10
echo "cli_errors: $checks checks, $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
