/* h5util.h (internal): small HDF5 helpers shared by the engine's files.
 * Each returns PT_OK or records a message naming the file and object. */
#ifndef PERTURB_H5UTIL_H
#define PERTURB_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "perturb/error.h"

/* Silences HDF5's own error printing for the caller's scope (perturb reports
 * one line of its own); returns the previous setting for pt_h5_quiet_end. */
typedef struct pt_h5_quiet {
  H5E_auto2_t func;
  void *data;
} pt_h5_quiet;
pt_h5_quiet pt_h5_quiet_begin(void);
void pt_h5_quiet_end(pt_h5_quiet q);

/* A scalar attribute stored as file type `ftype`, written from `value` of
 * memory type `mtype` (e.g. H5T_STD_I32LE from an int). */
pt_status pt_h5_write_attr(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *value, const char *file);
pt_status pt_h5_write_attr_int(hid_t obj, const char *name, int64_t value, const char *file);
pt_status pt_h5_write_attr_double(hid_t obj, const char *name, double value, const char *file);
pt_status pt_h5_write_attr_string(hid_t obj, const char *name, const char *value, const char *file);
pt_status pt_h5_read_attr_int(hid_t obj, const char *name, int64_t *value, const char *file);
pt_status pt_h5_read_attr_double(hid_t obj, const char *name, double *value, const char *file);
/* *value is malloc'ed; the caller frees it. */
pt_status pt_h5_read_attr_string(hid_t obj, const char *name, char **value, const char *file);

/* A float64 dataset of rank 1 or 2 (dims[1] = 0 for rank 1). */
pt_status pt_h5_write_doubles(hid_t loc, const char *name, const double *data, size_t dim0, size_t dim1,
                              const char *file);
/* Reads a float64 dataset that must hold exactly `count` values. */
pt_status pt_h5_read_doubles(hid_t loc, const char *name, double *data, size_t count, const char *file);

/* A rank-1 int64 dataset of `count` values, and its reader (exactly `count`
 * values, like pt_h5_read_doubles). Not collective. */
pt_status pt_h5_write_int64s(hid_t loc, const char *name, const int64_t *data, size_t count, const char *file);
pt_status pt_h5_read_int64s(hid_t loc, const char *name, int64_t *data, size_t count, const char *file);

/*
 * Files are built in memory and written out whole: HDF5 buffers its writes,
 * so with a file on disk a full disk showed only in H5Fclose, which then left
 * the file open for HDF5's exit handler (a crash after MPI_Finalize). In
 * memory, HDF5 never touches the disk; pt_h5_save_memory writes the bytes
 * with write(2) and fsync(2), where ENOSPC is exact.
 *
 * pt_h5_create_memory: a new, empty HDF5 file in memory (core driver, no
 * backing store; closing it closes every object still open in it), named
 * `name` for HDF5's messages; -1 on failure.
 */
hid_t pt_h5_create_memory(const char *name);

/*
 * Closes the in-memory `file` (always) and, if `st` is PT_OK, writes its
 * image to `path` atomically (pt_file_write_atomic: temporary file, fsync,
 * rename; on failure no temporary is left and an existing `path` is
 * untouched). Returns `st` if it is not PT_OK, else the outcome.
 */
pt_status pt_h5_save_memory(hid_t file, const char *path, pt_status st);

/* Nonzero if the file stores every element of `dataset` (a chunked one: all
 * of its chunks), as after a write of the whole array. A chunked dataset can
 * claim any shape without storing it, and reading it gives fill values: the
 * loaders check this before allocating memory for a shape read from a file.
 * Not collective. */
int pt_h5_fully_stored(hid_t dataset);

#endif
