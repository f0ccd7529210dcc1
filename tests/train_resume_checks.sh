#!/usr/bin/env bash
# train_resume_checks.sh PERTURB: --resume checks every value it reads back
# from the run file. Copies of a valid unfinished run file, each with one
# field edited with h5py (an epoch of 10^6 or -5, a step or optimiser count
# that does not match, a NaN or negative elapsed time, NaN parameters or
# moments, a metrics table that does not match the epochs, an attribute of the
# wrong type, a bad in-epoch position or partial loss, a missing or
# wrong-length dataset), are refused under mpirun with 2 ranks: a non-zero
# exit, one line on stderr naming the run file and the field, and the run file
# left as it was. The unedited copies resume (so the refusals come from the
# edits).
set -u
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"

cat > "$tmp/c.ini" <<'INI'
[synthetic]
n = 60
labels = 5
features = 3
[train]
epochs = 3
batch_size = 4
checkpoint_every = 1
INI
mpi() { timeout 120 mpirun -q -n 2 --oversubscribe "$perturb" "$@"; }
mpi train "$tmp/c.ini" --out "$tmp/done.h5" >/dev/null || { echo "FAIL: the reference run failed"; exit 1; }

# good.h5: the state after epoch 1 (valid, unfinished); mid.h5: one batch
# into epoch 2. Then one broken copy per case.
/usr/bin/python3 - "$tmp" <<'PY' || { echo "FAIL: cannot edit the run files"; exit 1; }
import shutil, sys
import h5py, numpy as np
t = sys.argv[1]

def unfinished(src, dst, offset):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        per_epoch = int(f["metrics"][0]["step"])
        rows = f["metrics"][:1]
        del f["metrics"], f["model"]
        f.create_dataset("metrics", data=rows, maxshape=(None,), chunks=(64,))
        f.attrs["complete"] = np.int64(0)
        f.attrs["status"] = "running"
        f.attrs["epochs_done"] = np.int64(1)
        c = f["checkpoint"]
        step = per_epoch + (1 if offset else 0)
        for k, v in [("epoch", 1), ("step", step), ("optim_t", step), ("batch_offset", offset)]:
            c.attrs[k] = np.int64(v)
        fields = 4  # the int64 fields of the loss accumulator (runfile.h)
        if "loss_partial" in c:  # (files from before interruptions stopped mid-epoch lack it)
            fields = c["loss_partial"].shape[0]
            del c["loss_partial"]
        partial = np.zeros(fields, dtype=np.int64)
        partial[0] = 123456789 if offset else 0
        c["loss_partial"] = partial

unfinished(f"{t}/done.h5", f"{t}/good.h5", 0)
unfinished(f"{t}/done.h5", f"{t}/mid.h5", 4)

def case(name, base, edit):
    shutil.copy(f"{t}/{base}.h5", f"{t}/{name}.h5")
    with h5py.File(f"{t}/{name}.h5", "r+") as f:
        edit(f)

def attr(key, value, where="checkpoint"):
    def edit(f):
        obj = f[where]
        del obj.attrs[key]
        obj.attrs[key] = value
    return edit

def dataset(key, value):
    def edit(f):
        del f["checkpoint"][key]
        if value is not None:
            f["checkpoint"][key] = value
    return edit

def nan_at(key):
    def edit(f):
        a = f["checkpoint"][key][...]
        a[1] = np.nan
        f["checkpoint"][key][...] = a
    return edit

def metrics(change):
    def edit(f):
        rows = change(f["metrics"][...])
        del f["metrics"]
        f.create_dataset("metrics", data=rows, maxshape=(None,), chunks=(64,))
    return edit

def renumber(rows):
    rows["epoch"][0] = 2
    return rows

case("epoch_huge", "good", attr("epoch", np.int64(10**6)))
case("epoch_negative", "good", attr("epoch", np.int64(-5)))
case("epoch_float", "good", attr("epoch", 1.0))
case("epoch_at_end", "good", attr("epoch", np.int64(3)))
case("step", "good", attr("step", np.int64(999)))
case("step_negative", "good", attr("step", np.int64(-1)))
case("optim_t", "good", attr("optim_t", np.int64(7)))
case("elapsed_nan", "good", attr("elapsed_seconds", np.nan))
case("elapsed_negative", "good", attr("elapsed_seconds", -2.0))
case("params_nan", "good", nan_at("params"))
case("optim_m_nan", "good", nan_at("optim_m"))
case("optim_v_inf", "good", lambda f: f["checkpoint"]["optim_v"].__setitem__(0, np.inf))
case("metrics_extra_row", "good", metrics(lambda r: np.concatenate([r, r])))
case("metrics_no_rows", "good", metrics(lambda r: r[:0]))
case("metrics_epoch", "good", metrics(renumber))
case("complete_float", "good", attr("complete", 0.5, where="/"))
case("nranks_zero", "good", attr("nranks", np.int64(0), where="/"))
case("offset_not_batch", "mid", attr("batch_offset", np.int64(3)))
case("offset_beyond", "mid", attr("batch_offset", np.int64(10**6)))
case("loss_partial_missing", "mid", dataset("loss_partial", None))
case("loss_partial_length", "mid", dataset("loss_partial", np.zeros(7, dtype=np.int64)))
case("loss_partial_at_epoch_start", "good", dataset("loss_partial", np.array([5, 0, 0, 0], dtype=np.int64)))
PY

# refused NAME FIELD: --resume of NAME.h5 fails with one line naming the file
# and FIELD, and leaves the file as it was.
refused() {
  local name=$1 field=$2 rc lines
  cp "$tmp/$name.h5" "$tmp/before.h5"
  mpi train "$tmp/c.ini" --out "$tmp/$name.h5" --resume >"$tmp/out" 2>"$tmp/err"
  rc=$?
  lines=$(grep -c . "$tmp/err")
  if [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$tmp/$name.h5" "$tmp/err" ||
    ! grep -qF -- "$field" "$tmp/err"; then
    fail "$name: exit $rc, $lines stderr lines (wanted one naming $name.h5 and '$field'): $(head -c 300 "$tmp/err")"
  elif ! cmp -s "$tmp/$name.h5" "$tmp/before.h5"; then
    fail "$name: the run file was changed"
  else
    pass "$name -> $(cat "$tmp/err")"
  fi
}

for good in good mid; do
  if mpi train "$tmp/c.ini" --out "$tmp/$good.h5" --resume >"$tmp/out" 2>"$tmp/err" &&
    grep -q "resumed $tmp/$good.h5 from epoch 1 (step" "$tmp/out"; then
    pass "$good.h5 (unedited) resumes: $(grep resumed "$tmp/out")"
  else
    fail "$good.h5 (unedited) does not resume: $(head -c 300 "$tmp/err")"
  fi
done

refused epoch_huge "epoch"
refused epoch_negative "'epoch'"
refused epoch_float "'epoch'"
refused epoch_at_end "epoch"
refused step "step"
refused step_negative "'step'"
refused optim_t "optim_t"
refused elapsed_nan "elapsed_seconds"
refused elapsed_negative "elapsed_seconds"
refused params_nan "/checkpoint/params"
refused optim_m_nan "/checkpoint/optim_m"
refused optim_v_inf "/checkpoint/optim_v"
refused metrics_extra_row "/metrics"
refused metrics_no_rows "/metrics"
refused metrics_epoch "/metrics"
refused complete_float "'complete'"
refused nranks_zero "'nranks'"
refused offset_not_batch "batch_offset"
refused offset_beyond "batch_offset"
refused loss_partial_missing "loss_partial"
refused loss_partial_length "loss_partial"
refused loss_partial_at_epoch_start "loss_partial"
finish train_resume_checks
