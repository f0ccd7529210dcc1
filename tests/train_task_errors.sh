#!/usr/bin/env bash
# train_task_errors.sh PERTURB: bad input to the general engine gets one line
# on stderr, a non-zero exit, on every rank (mpirun -n 2), and no run file:
# images of the wrong shape for the CNN (a plain-feature dataset, a test part
# whose images differ, an image too small for the layers), a label outside
# 0..classes-1, a test part with other classes, an unknown task, model or
# loss, a closed-form loss on a neural model, a bad layer list.
set -u
perturb=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"

expect() { # NAME SUBSTRING -- ARGS...
  local name=$1 want=$2
  shift 2
  [ "$1" = -- ] && shift
  rm -f "$tmp/run.h5"
  timeout 120 mpirun -q -n 2 "$perturb" "$@" --out "$tmp/run.h5" >"$tmp/out" 2>"$tmp/err"
  local rc=$? lines
  lines=$(grep -c . "$tmp/err")
  if [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" "$tmp/err" || [ -e "$tmp/run.h5" ]; then
    fail "$name: exit $rc, $lines stderr lines (wanted one containing '$want'), run file $([ -e "$tmp/run.h5" ] && echo left || echo absent): $(head -3 "$tmp/err")"
  else
    pass "$name -> $(cat "$tmp/err")"
  fi
}

/usr/bin/python3 - "$tmp" <<'PY' || { echo "FAIL: cannot write the datasets"; exit 1; }
import sys
import h5py
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(1)
def write(name, X, labels, classes):
    with h5py.File(f"{d}/{name}.h5", "w") as f:
        f.create_dataset("X", data=X)
        f.create_dataset("labels", data=np.asarray(labels, dtype=np.int32))
        for k, v in {"format_version": 1, "task": "classification", "name": name, "source": "test",
                     "classes": classes}.items():
            f.attrs[k] = v
write("img", rng.normal(size=(40, 1, 6, 6)), rng.integers(0, 3, 40), 3)
write("img7", rng.normal(size=(20, 1, 7, 7)), rng.integers(0, 3, 20), 3)
write("img433", rng.normal(size=(20, 4, 3, 3)), rng.integers(0, 3, 20), 3)
write("img4c", rng.normal(size=(20, 1, 6, 6)), rng.integers(0, 4, 20), 4)
write("tiny", rng.normal(size=(20, 1, 2, 2)), rng.integers(0, 3, 20), 3)
write("flat", rng.normal(size=(40, 36)), rng.integers(0, 3, 40), 3)
labels = rng.integers(0, 3, 40)
labels[17] = 5
write("badlabel", rng.normal(size=(40, 1, 6, 6)), labels, 3)
PY
cat > "$tmp/c.ini" <<INI
[data]
train = $tmp/img.h5
[model]
kind = cnn
conv = 2
[loss]
samples = 2
[train]
epochs = 1
batch_size = 8
INI
expect "cnn on plain features" "model.kind = cnn needs images" -- train "$tmp/c.ini" data.train="$tmp/flat.h5"
expect "test images of another size" "does not match the training data (3 labels, 36 features" -- train "$tmp/c.ini" data.test="$tmp/img7.h5"
expect "test images of another shape, as many pixels" "images of 4 x 3 x 3 do not fit the model's 1 x 6 x 6" -- train "$tmp/c.ini" data.test="$tmp/img433.h5"
expect "an image too small for the layers" "too small" -- train "$tmp/c.ini" data.train="$tmp/tiny.h5" model.padding=0 model.conv=2,2
expect "a label outside 0..classes-1" "/labels row 17 holds 5" -- train "$tmp/c.ini" data.train="$tmp/badlabel.h5"
expect "a test part with other classes" "test data (4 labels, 36 features per instance) does not match" -- train "$tmp/c.ini" data.test="$tmp/img4c.h5"
expect "an unknown task" "task.kind must be one of" -- train "$tmp/c.ini" task.kind=segmentation
expect "an unknown model" "model.kind must be one of" -- train "$tmp/c.ini" model.kind=resnet
expect "an unknown loss" "loss.kind must be one of" -- train "$tmp/c.ini" loss.kind=hinge
expect "ranking task on class labels" "task.kind = ranking needs rankings" -- train "$tmp/c.ini" task.kind=ranking
expect "ridge on a cnn" "fits a linear model in closed form" -- train "$tmp/c.ini" loss.kind=ridge
expect "a bad layer list" "model.hidden = '8,x'" -- train "$tmp/c.ini" model.hidden=8,x
expect "mlp: test images of another shape" "do not fit" -- train "$tmp/c.ini" model.kind=mlp model.hidden=4 data.test="$tmp/img433.h5"
finish train_task_errors
