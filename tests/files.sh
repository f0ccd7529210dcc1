#!/usr/bin/env bash
# files.sh PERTURB: the engine never destroys data and never leaves debris.
#  - outputs are regular files only (a device or a FIFO named by --out is
#    refused, even with --force), never one of the inputs (the dataset, the
#    CSV, the configuration, a hard link to them);
#  - a FIFO as the configuration, the CSV, the dataset or the run file is
#    refused at once (every case under `timeout`: a hang is a failure);
#  - a second train on the same --out stops at once (the run file's lock);
#  - an unusable --out (a directory, an empty name) is refused before training;
#  - --resume removes the temporaries a killed run left beside its run file,
#    and only those.
# (A full disk: files_full.sh.)
set -u
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"
first=
cleanup() {
  [ -n "$first" ] && kill -TERM "$first" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# expect NAME SUBSTRING [--np N] -- COMMAND...: exit status 1 (not a timeout,
# not a crash), exactly one line on stderr, containing SUBSTRING; stdout in $tmp/out.
expect() {
  local name=$1 want=$2 np=2
  shift 2
  if [ "$1" = --np ]; then np=$2; shift 2; fi
  [ "$1" = -- ] && shift
  timeout 60 mpirun -q -n "$np" --oversubscribe "$perturb" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local rc=$? lines
  lines=$(grep -c . "$tmp/err")
  if [ $rc -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" "$tmp/err"; then
    fail "$name: exit $rc$([ $rc -eq 124 ] && echo ' (timeout: a hang)'), $lines stderr lines (wanted exit 1 and one line containing '$want'): $(head -3 "$tmp/err" | tr '\n' ' ')"
  else
    pass "$name -> $(cat "$tmp/err")"
  fi
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
mpirun -q -n 1 "$perturb" gen "$G" --out "$tmp/data.h5" >/dev/null || { echo "FAIL: cannot generate data"; exit 1; }
printf 'f1,f2,r1,r2,r3\n1,2,1,2,3\n3,4,3,1,2\n5,6,2,3,1\n7,8,1,3,2\n' > "$tmp/rank.csv"
# item 10's cases try to overwrite copies (V, D): on code that does, the
# other items' cases still get intact inputs
V=$tmp/victim.ini V2=$tmp/victim2.ini D=$tmp/victim.h5
cp "$G" "$V"
cp "$G" "$V2"
cp "$tmp/data.h5" "$D"
cp "$tmp/data.h5" "$tmp/data.orig"
cp "$tmp/rank.csv" "$tmp/rank.orig"
cp "$tmp/rank.csv" "$tmp/rank2.csv"

# ---- issue #8 item 10: only regular files are written; never an input -----
mkfifo "$tmp/fifo.out"
expect "--force onto a FIFO" "a FIFO, not a regular file" -- train "$G" --out "$tmp/fifo.out" --force
[ -p "$tmp/fifo.out" ] && pass "the FIFO is still a FIFO" || fail "the FIFO was replaced"
if mknod "$tmp/null" c 1 3 2>/dev/null; then
  expect "--force onto a character device" "a character device" -- train "$G" --out "$tmp/null" --force
  [ -c "$tmp/null" ] && pass "the device is still a device" || fail "the device was replaced by a regular file"
  expect "gen onto a character device" "a character device" --np 1 -- gen "$G" --out "$tmp/null" --force
  [ -c "$tmp/null" ] && pass "the device is still a device (gen)" || fail "gen replaced the device"
else
  echo "note: mknod not permitted here: the device case is covered by the FIFO case only"
fi
expect "--out is the training data" "it is the input '$D'" -- train "$G" data.train="$D" \
  --out "$D" --force
expect "--out is the test data" "is the input" -- train "$G" data.train="$D" data.test="$D" \
  --out "$D" --force
ln "$D" "$tmp/hardlink.h5"
expect "--out is a hard link to the data" "is the input" -- train "$G" data.train="$D" \
  --out "$tmp/hardlink.h5" --force
expect "--out is the configuration" "is the input '$V'" -- train "$V" --out "$V" --force
expect "--out is the CSV (data.dataset)" "is the input" -- train "$G" data.dataset=rank data.csv_dir="$tmp" \
  --out "$tmp/rank.csv" --force
expect "import --out is the CSV" "is the input '$tmp/rank2.csv'" --np 1 -- import "$tmp/rank2.csv" \
  --out "$tmp/rank2.csv" --force
expect "gen --out is the configuration" "is the input '$V2'" --np 1 -- gen "$V2" --out "$V2" --force
cmp -s "$D" "$tmp/data.orig" && pass "the dataset is unchanged" || fail "the dataset was overwritten"
cmp -s "$tmp/rank.csv" "$tmp/rank.orig" && cmp -s "$tmp/rank2.csv" "$tmp/rank.orig" && pass "the CSV is unchanged" || fail "the CSV was overwritten"
cmp -s "$V" "$G" && cmp -s "$V2" "$G" && pass "the configuration is unchanged" ||
  fail "the configuration was overwritten"

# ---- item 12: a FIFO as an input is refused, not waited on -----------------
mkfifo "$tmp/fifo.ini" "$tmp/fifo.csv" "$tmp/fifo.h5"
expect "FIFO as the configuration" "fifo.ini': not a regular file (a FIFO)" -- train "$tmp/fifo.ini" \
  --out "$tmp/r.h5" --force
expect "FIFO as the CSV (import)" "fifo.csv': not a regular file (a FIFO)" --np 1 -- import "$tmp/fifo.csv" \
  --out "$tmp/x.h5"
expect "FIFO as the CSV (data.dataset)" "fifo.csv': not a regular file (a FIFO)" -- train "$G" data.dataset=fifo \
  data.csv_dir="$tmp" --out "$tmp/r.h5" --force
expect "FIFO as the dataset" "fifo.h5': not a regular file (a FIFO)" -- train "$G" data.train="$tmp/fifo.h5" \
  --out "$tmp/r.h5" --force
expect "FIFO as the run file (eval)" "fifo.h5': not a regular file (a FIFO)" -- eval "$tmp/fifo.h5" "$tmp/data.h5"
expect "FIFO as the file of info" "not a regular file (a FIFO)" --np 1 -- info "$tmp/fifo.h5"

# ---- item 13: a second train on the same --out stops at once ---------------
# The first runs until it is killed (far more epochs than it gets to); the
# second, short, is started once the first has printed its header, i.e. holds
# the lock; it must fail at once rather than write the same file.
mpirun -q -n 1 "$perturb" train "$G" synthetic.n=2000 train.epochs=1000000 train.checkpoint_every=0 \
  --out "$tmp/shared.h5" >"$tmp/first.out" 2>&1 </dev/null &
first=$!
for _ in $(seq 600); do grep -q "perturb train:" "$tmp/first.out" && break; sleep 0.1; done
grep -q "perturb train:" "$tmp/first.out" || fail "the first train did not start: $(head -2 "$tmp/first.out")"
expect "a second train on the same --out" "is in use by another perturb run" -- train "$G" --out "$tmp/shared.h5"
expect "a second train on the same --out, --force" "$tmp/shared.h5.lock" -- train "$G" --out "$tmp/shared.h5" --force
kill -TERM "$first" 2>/dev/null # mpirun passes it on to its rank
wait "$first" 2>/dev/null
first=
# the lock went with its holder (mpirun returns once its rank has exited):
# the file can be trained on now
mpirun -q -n 2 "$perturb" train "$G" --out "$tmp/shared.h5" --force >/dev/null 2>"$tmp/err" </dev/null &&
  pass "after the first is killed the run file can be written" ||
  fail "after the first is killed: $(cat "$tmp/err")"
[ ! -e "$tmp/shared.h5.lock" ] && pass "no lock file left after a run" || fail "shared.h5.lock left behind"

# ---- item 14: an unusable --out is refused before training -----------------
mkdir "$tmp/adir"
expect "--out is a directory (--force)" "a directory, not a regular file" -- train "$G" --out "$tmp/adir" --force
grep -q "^epoch" "$tmp/out" && fail "--out a directory: trained before refusing" || pass "--out a directory: no training"
[ -d "$tmp/adir" ] && pass "the directory is still a directory" || fail "the directory was replaced"
expect "--out is empty" "empty" -- train "$G" --out "" --force
grep -q "^epoch" "$tmp/out" && fail "--out empty: trained before refusing" || pass "--out empty: no training"

# ---- item 15: --resume removes the stale temporaries of its run file -------
mpirun -q -n 1 "$perturb" train "$G" train.epochs=3 --out "$tmp/cut.h5" >/dev/null 2>&1
# a run killed after its first epoch: complete = 0, no /model
/usr/bin/python3 "$(dirname "$0")/unfinish_run.py" "$tmp/cut.h5"
echo junk > "$tmp/cut.h5.tmp.4242"
echo junk > "$tmp/cut.h5.probe.4243"
echo junk > "$tmp/other.h5.tmp.4244"   # another run file's: not ours to remove
echo junk > "$tmp/cut.h5.tmp.keep"     # not a temporary's name
mpirun -q -n 2 "$perturb" train "$G" train.epochs=3 --out "$tmp/cut.h5" --resume >/dev/null 2>"$tmp/err" </dev/null ||
  fail "resume: $(cat "$tmp/err")"
[ ! -e "$tmp/cut.h5.tmp.4242" ] && pass "--resume removed RUN.h5.tmp.PID" || fail "--resume left RUN.h5.tmp.PID"
[ ! -e "$tmp/cut.h5.probe.4243" ] && pass "--resume removed RUN.h5.probe.PID" || fail "--resume left RUN.h5.probe.PID"
[ -e "$tmp/other.h5.tmp.4244" ] && [ -e "$tmp/cut.h5.tmp.keep" ] && pass "other files' temporaries are kept" ||
  fail "--resume removed files that are not its temporaries"
/usr/bin/python3 -c "import sys,h5py; f=h5py.File(sys.argv[1]); sys.exit(0 if int(f.attrs['complete'])==1 else 1)" \
  "$tmp/cut.h5" && pass "the resumed run is complete" || fail "the resumed run is not complete"
rm -f "$tmp/other.h5.tmp.4244" "$tmp/cut.h5.tmp.keep"
ls "$tmp" | grep -qE '\.(tmp|probe)\.[0-9]+$|\.lock$' && fail "debris left: $(ls "$tmp" | grep -E 'tmp|probe|lock')" ||
  pass "no temporary or lock file left"

finish files
