/* files.h (internal): the rules for the files the engine reads and writes,
 * in one place, used by every command (train, sweep, gen, import, eval, info)
 * and by the configuration, CSV and HDF5 loaders:
 *  - an input must be a regular file: a FIFO would block every rank for
 *    ever, a directory or a device is never what was meant;
 *  - an output is absent or a regular file (rename(2) would replace a device
 *    or a FIFO by a regular file), is not one of the inputs (the same inode:
 *    --force would destroy the data it reads), and its directory is writable;
 *  - a run file is locked for the life of the run (a sidecar "PATH.lock"),
 *    so that a second run on the same file stops at once;
 *  - the temporaries "PATH.tmp.<pid>" and "PATH.probe.<pid>" that a killed
 *    writer left are removed once the lock is held.
 * None of these functions is collective: the caller (rank 0, or every rank
 * alike) agrees on the result with pt_dist_agree. */
#ifndef PERTURB_FILES_H
#define PERTURB_FILES_H

#include <stddef.h>
#include <stdio.h>

#include "perturb/error.h"

/* Why `path` cannot be read as an input, in `why` (e.g. "No such file or
 * directory", "Is a directory", "not a regular file (a FIFO)"); returns 1 if it is a regular
 * file, 0 if not. Does not open the file (for HDF5, which opens by name). */
int pt_file_input_ok(const char *path, char *why, size_t size);

/* Opens `path` for reading as a stdio stream ("rb") if it is a regular file;
 * otherwise returns NULL with the reason in `why`. Opening does not block on
 * a FIFO (O_NONBLOCK, then checked with fstat on the open descriptor, so the
 * check and the open are of the same file). */
FILE *pt_file_open_input(const char *path, char *why, size_t size);

/*
 * Checks that `path` can be written as the output `what` (e.g. "run file"):
 * not empty, absent or a regular file, not the same file as any of the
 * `ninputs` paths in `inputs` (NULL and empty entries are skipped; inputs
 * that do not exist are no clash), and its directory writable (a probe file
 * "PATH.probe.<pid>" is created and removed). *exists (if not NULL) says
 * whether `path` exists. Each failure is one message naming the file.
 */
pt_status pt_file_check_output(const char *path, const char *what, const char *const *inputs, size_t ninputs,
                               int *exists);

/* The outcome of pt_file_lock. */
typedef enum pt_file_lock_result {
  PT_LOCK_HELD = 0,   /* locked (or the filesystem has no locks: unprotected) */
  PT_LOCK_BUSY = 1,   /* another process holds it */
  PT_LOCK_FAILED = 2, /* the lock file cannot be created (errno says why) */
} pt_file_lock_result;

/*
 * Takes a POSIX write lock (fcntl) on the file `lock_path`, created if
 * missing, and returns its descriptor in *fd: the lock lasts until
 * pt_file_unlock or until the process dies, however it dies (the kernel
 * drops it). A lock file that another holder removed between our open and
 * our lock is detected (its inode is no longer the path's) and taken anew,
 * so pt_file_unlock may remove the file safely.
 */
pt_file_lock_result pt_file_lock(const char *lock_path, int *fd);

/* Releases a lock of pt_file_lock (nothing if fd < 0), removing `lock_path`
 * first if `remove_file` (no debris beside the file it protected). */
void pt_file_unlock(const char *lock_path, int fd, int remove_file);

/* Removes "PATH.tmp.*" and "PATH.probe.*" beside `path` — the temporaries of
 * this file only, never another file's. Only safe while the lock on `path`
 * is held (then nobody else can be writing them). */
void pt_file_remove_temporaries(const char *path);

/*
 * Writes `size` bytes to `path` atomically and durably: to "PATH.tmp.<pid>"
 * with write(2), fsync(2), then rename(2) over `path`, then fsync of the
 * directory. On any failure (a full disk: ENOSPC) the temporary is removed,
 * an existing `path` is untouched, and the message names `path` and the
 * system's reason.
 */
pt_status pt_file_write_atomic(const char *path, const void *data, size_t size);

#endif
