/* fuzz_h5recipe.h: structure-aware HDF5 inputs. The fuzz bytes are a recipe
 * that builds a *valid* HDF5 file with the HDF5 API, holding the objects a
 * loader expects with their types, shapes, values and attributes bent one
 * choice at a time (so that the fuzzer explores our loader, not libhdf5's
 * parser of damaged files). Every helper reads its choices from the reader
 * and writes nothing when HDF5 refuses a combination. */
#ifndef PERTURB_FUZZ_H5RECIPE_H
#define PERTURB_FUZZ_H5RECIPE_H

#include <hdf5.h>
#include <stdint.h>

#include "fuzz_common.h"

/* Attribute `name` on obj: mostly the intended value in the intended type;
 * otherwise absent, of another class, an array, an empty (null) dataspace, a
 * fixed-length string, or an extreme value. */
void fz_h5_attr_int(fz_reader *r, hid_t obj, const char *name, int64_t intended);
void fz_h5_attr_double(fz_reader *r, hid_t obj, const char *name, double intended);
void fz_h5_attr_string(fz_reader *r, hid_t obj, const char *name, const char *intended);

/* Dataset `name` in loc: mostly the intended array (float64, or int32 if
 * `is_int`) of shape dims[rank] holding data (row-major, of the memory type
 * that matches is_int); otherwise absent, a group, another file type, other
 * dimensions (0 or huge, chunked and never written), a scalar, or the data
 * with some values replaced (NaN, Inf, extremes). */
void fz_h5_dataset(fz_reader *r, hid_t loc, const char *name, int is_int, int rank, const hsize_t *dims,
                   const void *data);

#endif
