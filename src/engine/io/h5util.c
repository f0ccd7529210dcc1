/* h5util.c: HDF5 attribute and dataset helpers, and files built in memory. */
#define _POSIX_C_SOURCE 200809L
#include "io/h5util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "io/files.h"

pt_h5_quiet pt_h5_quiet_begin(void) {
  pt_h5_quiet q;
  H5Eget_auto2(H5E_DEFAULT, &q.func, &q.data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  return q;
}

void pt_h5_quiet_end(pt_h5_quiet q) { H5Eset_auto2(H5E_DEFAULT, q.func, q.data); }

pt_status pt_h5_write_attr(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *value, const char *file) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = space < 0 ? -1 : H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = attr < 0 ? -1 : H5Awrite(attr, mtype, value);
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  if (rc < 0) return pt_error(PT_EIO, "%s: cannot write attribute '%s'", file, name);
  return PT_OK;
}

static pt_status write_attr(hid_t obj, const char *name, hid_t type, const void *value, const char *file) {
  return pt_h5_write_attr(obj, name, type, type, value, file);
}

pt_status pt_h5_write_attr_int(hid_t obj, const char *name, int64_t value, const char *file) {
  return write_attr(obj, name, H5T_NATIVE_INT64, &value, file);
}

pt_status pt_h5_write_attr_double(hid_t obj, const char *name, double value, const char *file) {
  return write_attr(obj, name, H5T_NATIVE_DOUBLE, &value, file);
}

pt_status pt_h5_write_attr_string(hid_t obj, const char *name, const char *value, const char *file) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  pt_status st = write_attr(obj, name, type, &value, file);
  H5Tclose(type);
  return st;
}

static pt_status read_attr(hid_t obj, const char *name, hid_t type, void *value, const char *file) {
  if (H5Aexists(obj, name) <= 0) return pt_error(PT_EFORMAT, "%s: attribute '%s' is missing", file, name);
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t space = attr < 0 ? -1 : H5Aget_space(attr);
  /* H5Aread writes every element: an array where one value belongs would
   * overrun `value`, so anything but exactly one value is refused first. */
  const hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
  herr_t rc = n != 1 ? -1 : H5Aread(attr, type, value);
  if (space >= 0) H5Sclose(space);
  if (attr >= 0) H5Aclose(attr);
  if (n >= 0 && n != 1)
    return pt_error(PT_EFORMAT, "%s: attribute '%s' holds %lld values (expected one)", file, name, (long long)n);
  if (rc < 0) return pt_error(PT_EFORMAT, "%s: cannot read attribute '%s'", file, name);
  return PT_OK;
}

pt_status pt_h5_read_attr_int(hid_t obj, const char *name, int64_t *value, const char *file) {
  return read_attr(obj, name, H5T_NATIVE_INT64, value, file);
}

pt_status pt_h5_read_attr_double(hid_t obj, const char *name, double *value, const char *file) {
  return read_attr(obj, name, H5T_NATIVE_DOUBLE, value, file);
}

pt_status pt_h5_read_attr_string(hid_t obj, const char *name, char **value, const char *file) {
  *value = NULL;
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  char *raw = NULL;
  pt_status st = read_attr(obj, name, type, &raw, file);
  H5Tclose(type);
  if (st != PT_OK) return st;
  *value = raw ? strdup(raw) : strdup("");
  if (raw) H5free_memory(raw);
  if (*value == NULL) return pt_error(PT_ENOMEM, "%s: out of memory reading '%s'", file, name);
  return PT_OK;
}

static pt_status write_array(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, const void *data,
                             size_t dim0, size_t dim1, const char *file) {
  const hsize_t dims[2] = {dim0, dim1};
  hid_t space = H5Screate_simple(dim1 ? 2 : 1, dims, NULL);
  hid_t set = space < 0 ? -1 : H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const size_t count = dim0 * (dim1 ? dim1 : 1);
  herr_t rc = set < 0 ? -1 : (count > 0 ? H5Dwrite(set, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : 0);
  if (set >= 0) H5Dclose(set);
  if (space >= 0) H5Sclose(space);
  if (rc < 0) return pt_error(PT_EIO, "%s: cannot write dataset '%s'", file, name);
  return PT_OK;
}

pt_status pt_h5_write_doubles(hid_t loc, const char *name, const double *data, size_t dim0, size_t dim1,
                              const char *file) {
  return write_array(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data, dim0, dim1, file);
}

pt_status pt_h5_write_int64s(hid_t loc, const char *name, const int64_t *data, size_t count, const char *file) {
  return write_array(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, data, count, 0, file);
}

static pt_status read_array(hid_t loc, const char *name, hid_t mem_type, void *data, size_t count, const char *file) {
  if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return pt_error(PT_EFORMAT, "%s: dataset '%s' is missing", file, name);
  hid_t set = H5Dopen2(loc, name, H5P_DEFAULT);
  hid_t space = set < 0 ? -1 : H5Dget_space(set);
  const hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
  pt_status st = PT_OK;
  if (n != (hssize_t)count)
    st = pt_error(PT_EFORMAT, "%s: dataset '%s' holds %lld values, expected %zu", file, name, (long long)n, count);
  else if (count > 0 && H5Dread(set, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    st = pt_error(PT_EFORMAT, "%s: cannot read dataset '%s'", file, name);
  if (space >= 0) H5Sclose(space);
  if (set >= 0) H5Dclose(set);
  return st;
}

pt_status pt_h5_read_doubles(hid_t loc, const char *name, double *data, size_t count, const char *file) {
  return read_array(loc, name, H5T_NATIVE_DOUBLE, data, count, file);
}

pt_status pt_h5_read_int64s(hid_t loc, const char *name, int64_t *data, size_t count, const char *file) {
  return read_array(loc, name, H5T_NATIVE_INT64, data, count, file);
}

hid_t pt_h5_create_memory(const char *name) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), file = -1;
  if (fapl < 0) return -1;
  /* grown by 1 MiB at a time; never written to disk by HDF5 */
  if (H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) >= 0 && H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0)
    file = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  return file;
}

pt_status pt_h5_save_memory(hid_t file, const char *path, pt_status st) {
  void *image = NULL;
  ssize_t size = 0;
  if (st == PT_OK) {
    /* HDF5's caches into the image first (H5Fget_file_image does not) */
    size = H5Fflush(file, H5F_SCOPE_GLOBAL) < 0 ? -1 : H5Fget_file_image(file, NULL, 0);
    if (size <= 0) st = pt_error(PT_EIO, "%s: cannot build the file (HDF5 has no image of it)", path);
    else if ((image = malloc((size_t)size)) == NULL)
      st = pt_error(PT_ENOMEM, "%s: out of memory for the file's %zd bytes", path, size);
    else if (H5Fget_file_image(file, image, (size_t)size) != size)
      st = pt_error(PT_EIO, "%s: cannot build the file (HDF5 image)", path);
  }
  if (H5Fclose(file) < 0 && st == PT_OK) st = pt_error(PT_EIO, "%s: cannot close the file", path);
  if (st == PT_OK) st = pt_file_write_atomic(path, image, (size_t)size);
  free(image);
  return st;
}

int pt_h5_fully_stored(hid_t dataset) {
  hid_t dcpl = H5Dget_create_plist(dataset), space = H5Dget_space(dataset);
  int ok = 0;
  if (dcpl >= 0 && space >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED) {
    /* H5Dget_space_status compares bytes and calls a complete table whose
     * last chunk sticks out "partly allocated": count the chunks instead */
    hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK], need = 1, have = 0;
    const int rank = H5Sget_simple_extent_dims(space, dims, NULL);
    ok = rank >= 0 && H5Pget_chunk(dcpl, rank, chunk) == rank;
    for (int k = 0; ok && k < rank; k++) {
      const hsize_t along = dims[k] / chunk[k] + (dims[k] % chunk[k] != 0);
      need = along && need > HSIZE_UNDEF / along ? HSIZE_UNDEF : need * along; /* saturates: never stored */
    }
    /* (1.10.8 refuses H5S_ALL here: the whole extent is selected in `space`) */
    ok = ok && H5Dget_num_chunks(dataset, space, &have) >= 0 && have >= need;
  } else if (dcpl >= 0 && space >= 0) {
    H5D_space_status_t status;
    ok = H5Dget_space_status(dataset, &status) >= 0 && status == H5D_SPACE_STATUS_ALLOCATED;
  }
  if (space >= 0) H5Sclose(space);
  if (dcpl >= 0) H5Pclose(dcpl);
  return ok;
}
