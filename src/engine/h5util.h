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

/* Nonzero if the file stores every element of `dataset` (a chunked one: all
 * of its chunks), as after a write of the whole array. A chunked dataset can
 * claim any shape without storing it, and reading it gives fill values: the
 * loaders check this before allocating memory for a shape read from a file.
 * Not collective. */
int pt_h5_fully_stored(hid_t dataset);

/* Flushes `path` to disk and renames it to `final`; removes `path` on failure. */
pt_status pt_h5_commit_file(const char *path, const char *final);

#endif
