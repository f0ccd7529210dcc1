"""unfinish_run.py RUN.h5: turns a complete run file into the one a run
killed after its first epoch leaves: complete = 0, one metrics row, no
/model, the checkpoint at epoch 1 (step, optimiser count and metrics agree,
as --resume checks). The parameters stay the final ones: valid numbers, and
the tests that use this compare messages and files, not weights."""
import sys

import h5py
import numpy as np

with h5py.File(sys.argv[1], "r+") as f:
    rows = f["metrics"][:1]
    del f["metrics"]
    if "model" in f:
        del f["model"]
    f.create_dataset("metrics", data=rows, maxshape=(None,), chunks=(64,))
    f.attrs["complete"], f.attrs["status"], f.attrs["epochs_done"] = np.int64(0), "running", np.int64(1)
    ck = f["checkpoint"]
    ck.attrs["epoch"] = np.int64(1)
    ck.attrs["step"] = ck.attrs["optim_t"] = np.int64(rows[0]["step"])
    if "batch_offset" in ck.attrs:
        ck.attrs["batch_offset"] = np.int64(0)
    if "loss_partial" in ck:
        ck["loss_partial"][...] = 0
