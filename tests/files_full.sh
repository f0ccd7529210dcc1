#!/usr/bin/env bash
# files_full.sh PERTURB: a full disk (issue #8 item 11), on a real full
# filesystem: a small tmpfs, mounted here (as root; otherwise the test says
# so and is skipped, exit 77). Each of train, train --resume, import, gen and sweep first
# writes its file while there is room, then, with the disk filled, writes it
# again; then: exit status 1 (not a crash: 134/139), exactly one line on
# stderr naming the file and "No space left on device", no temporary left,
# and the previous file still there with its previous content.
set -u
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"
full=$tmp/full
mkdir "$full"
cleanup() {
  mountpoint -q "$full" && umount "$full"
  rm -rf "$tmp"
}
trap cleanup EXIT
if ! err=$(mount -t tmpfs -o size=2m tmpfs "$full" 2>&1); then
  echo "files_full: skipped: cannot mount a tmpfs here ($err)"
  exit 77
fi

# expect_full NAME FILE [--np N] -- COMMAND...: the full-disk contract for FILE.
expect_full() {
  local name=$1 file=$2 np=1
  shift 2
  if [ "$1" = --np ]; then np=$2; shift 2; fi
  [ "$1" = -- ] && shift
  timeout 120 mpirun -q -n "$np" --oversubscribe "$perturb" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local rc=$? lines
  lines=$(grep -c . "$tmp/err")
  if [ $rc -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$file" "$tmp/err" ||
    ! grep -qF "No space left on device" "$tmp/err"; then
    fail "$name: exit $rc, $lines stderr lines (wanted exit 1 and one line naming $file and ENOSPC): $(head -3 "$tmp/err" | tr '\n' ' ')"
  else
    pass "$name -> $(cat "$tmp/err")"
  fi
  cmp -s "$file" "$tmp/before/$(basename "$file")" && pass "$name: the previous file is unchanged" ||
    fail "$name: the previous file was changed or lost"
}

cat > "$tmp/good.ini" <<'INI'
[synthetic]
n = 60
labels = 5
features = 3
[train]
epochs = 2
batch_size = 4
INI
G=$tmp/good.ini
printf 'f1,f2,r1,r2,r3\n1,2,1,2,3\n3,4,3,1,2\n5,6,2,3,1\n7,8,1,3,2\n' > "$tmp/rank.csv"
SW=(sweep "$G" --grid train.seed=1,2 --out "$full/sw")

# the files as they are before the disk is full
mkdir "$tmp/before"
ok=1
mpirun -q -n 2 "$perturb" train "$G" --out "$full/run.h5" >/dev/null </dev/null || ok=0
mpirun -q -n 1 "$perturb" import "$tmp/rank.csv" --out "$full/rank.h5" >/dev/null || ok=0
mpirun -q -n 1 "$perturb" gen "$G" --out "$full/gen.h5" >/dev/null || ok=0
mpirun -q -n 2 "$perturb" "${SW[@]}" >/dev/null </dev/null || ok=0
# a run in progress: its last snapshot as a run killed after its first epoch leaves it
mpirun -q -n 2 "$perturb" train "$G" --out "$full/cut.h5" >/dev/null </dev/null || ok=0
/usr/bin/python3 "$(dirname "$0")/unfinish_run.py" "$full/cut.h5" || ok=0
[ $ok = 1 ] || { echo "FAIL: cannot write the first files"; exit 1; }
cp "$full/run.h5" "$full/cut.h5" "$full/rank.h5" "$full/gen.h5" "$full/sw/sweep.h5" "$tmp/before/"

# fill the disk
dd if=/dev/zero of="$full/filler" bs=4096 >/dev/null 2>&1
if echo x 2>/dev/null > "$full/one-more-byte"; then
  fail "the tmpfs is not full"
fi
rm -f "$full/one-more-byte"

expect_full "train on a full disk" "$full/run.h5" --np 2 -- train "$G" --out "$full/run.h5" --force
expect_full "train --resume on a full disk" "$full/cut.h5" --np 2 -- train "$G" --out "$full/cut.h5" --resume
expect_full "import on a full disk" "$full/rank.h5" -- import "$tmp/rank.csv" --out "$full/rank.h5" --force
expect_full "gen on a full disk" "$full/gen.h5" -- gen "$G" --out "$full/gen.h5" --force
expect_full "sweep on a full disk" "$full/sw/sweep.h5" --np 2 -- "${SW[@]}"
left=$(find "$full" -name '*.tmp.*' -o -name '*.probe.*' -o -name '*.lock' ! -name sweep.lock)
[ -z "$left" ] && pass "no temporary left" || fail "left on the full disk: $left"
/usr/bin/python3 - "$full" <<'PY' && pass "the previous files read back" || fail "a previous file does not read back"
import sys, h5py
d = sys.argv[1]
with h5py.File(f"{d}/run.h5") as f: assert int(f.attrs["complete"]) == 1 and len(f["metrics"]) == 2
with h5py.File(f"{d}/cut.h5") as f: assert int(f.attrs["complete"]) == 0 and "checkpoint" in f
with h5py.File(f"{d}/rank.h5") as f: assert f["X"].shape == (4, 2)
with h5py.File(f"{d}/sw/sweep.h5") as f: assert int(f.attrs["complete"]) == 1 and len(f["summary"]) == 2
PY

finish files_full
