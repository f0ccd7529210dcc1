"""sweep_summary.py: the /summary table of a `perturb sweep` file (sweep.h5,
layout in src/engine/sweep/sweep.h), as the report and plot scripts read it. Axes
are the text columns (values as given on the command line), metrics the float
ones (NaN for points not complete)."""
import sys

import h5py
import numpy as np


def fail(prog, message):
    """One line on stderr, exit status 1."""
    print(f"{prog}: {message}", file=sys.stderr)
    sys.exit(1)


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read(path, required_axes, prog):
    """{"axes": [names], "cols": {name: array}, "complete": 0/1, "base_config": INI
    text}, or None when the file holds no /summary yet (a sweep that has only
    started). Exits with one line if an axis of required_axes is missing."""
    with h5py.File(path, "r") as f:
        if "summary" not in f:
            return None
        table = f["summary"][()]
        complete = int(f.attrs.get("complete", 0))
        base_config = text(f.attrs.get("base_config", ""))
    axes = [n for n in table.dtype.names if table.dtype[n].kind in "OSU"]
    missing = [a for a in required_axes if a not in axes]
    if missing:
        fail(prog, f"{path}: /summary lacks required axes {', '.join(missing)} (needs {', '.join(required_axes)})")
    cols = {n: (np.array([text(v) for v in table[n]], dtype=object) if n in axes
                else np.asarray(table[n], dtype=float))
            for n in table.dtype.names}
    return {"axes": axes, "cols": cols, "complete": complete, "base_config": base_config}
