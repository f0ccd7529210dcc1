/* fuzz_h5recipe.c: the recipe helpers of fuzz_h5recipe.h. */
#include "fuzz_h5recipe.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_WRITTEN = 1 << 14 }; /* arrays up to this many values get data; larger ones stay unwritten */

static void put_attr(hid_t obj, const char *name, hid_t ftype, hid_t space, hid_t mtype, const void *buf) {
  hid_t a = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
  if (a >= 0 && buf) H5Awrite(a, mtype, buf);
  if (a >= 0) H5Aclose(a);
}

static hid_t vlen_str(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

/* One of the bent forms shared by the three attribute kinds; returns 0 if
 * the choice `c` is not a bent form. */
static int bent_attr(fz_reader *r, hid_t obj, const char *name, uint8_t c) {
  hid_t scalar = H5Screate(H5S_SCALAR);
  int done = 1;
  switch (c) {
    case 9: break; /* absent */
    case 10: {
      const int64_t v = fz_int(r);
      put_attr(obj, name, fz_u8(r) & 1 ? H5T_STD_I8LE : H5T_STD_I64BE, scalar, H5T_NATIVE_INT64, &v);
      break;
    }
    case 11: {
      const double v = fz_double(r);
      put_attr(obj, name, fz_u8(r) & 1 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE, scalar, H5T_NATIVE_DOUBLE, &v);
      break;
    }
    case 12: {
      char buf[8192];
      fz_text(r, buf, sizeof buf);
      const char *p = buf;
      hid_t t = vlen_str();
      put_attr(obj, name, t, scalar, t, &p);
      H5Tclose(t);
      break;
    }
    case 13: {
      /* a fixed-length string, NUL-padded or not, maybe filling its slot */
      char buf[1024];
      const size_t len = fz_text(r, buf, sizeof buf);
      hid_t t = H5Tcopy(H5T_C_S1);
      H5Tset_size(t, len ? len : 1);
      H5Tset_strpad(t, fz_u8(r) & 1 ? H5T_STR_NULLPAD : H5T_STR_NULLTERM);
      put_attr(obj, name, t, scalar, t, buf);
      H5Tclose(t);
      break;
    }
    case 14: {
      /* an array of k integers or strings where one value is expected */
      const hsize_t k = 2 + fz_below(r, 40);
      hid_t sp = H5Screate_simple(1, &k, NULL);
      if (fz_u8(r) & 1) {
        int64_t v[41] = {0};
        for (hsize_t i = 0; i < k; i++) v[i] = fz_int(r);
        put_attr(obj, name, H5T_STD_I64LE, sp, H5T_NATIVE_INT64, v);
      } else {
        const char *v[41];
        for (hsize_t i = 0; i < k; i++) v[i] = "x";
        hid_t t = vlen_str();
        put_attr(obj, name, t, sp, t, v);
        H5Tclose(t);
      }
      H5Sclose(sp);
      break;
    }
    case 15: {
      /* an empty (null) dataspace: the attribute exists but holds nothing */
      hid_t sp = H5Screate(H5S_NULL);
      hid_t t = fz_u8(r) & 1 ? H5Tcopy(H5T_STD_I64LE) : vlen_str();
      put_attr(obj, name, t, sp, t, NULL);
      H5Tclose(t);
      H5Sclose(sp);
      break;
    }
    default: done = 0;
  }
  H5Sclose(scalar);
  return done;
}

void fz_h5_attr_int(fz_reader *r, hid_t obj, const char *name, int64_t intended) {
  const uint8_t c = fz_u8(r) % 16;
  if (bent_attr(r, obj, name, c)) return;
  const int64_t v = c == 8 ? fz_int(r) : intended;
  hid_t sp = H5Screate(H5S_SCALAR);
  put_attr(obj, name, c == 7 ? H5T_STD_I32LE : H5T_STD_I64LE, sp, H5T_NATIVE_INT64, &v);
  H5Sclose(sp);
}

void fz_h5_attr_double(fz_reader *r, hid_t obj, const char *name, double intended) {
  const uint8_t c = fz_u8(r) % 16;
  if (bent_attr(r, obj, name, c)) return;
  const double v = c == 8 ? fz_double(r) : intended;
  hid_t sp = H5Screate(H5S_SCALAR);
  put_attr(obj, name, H5T_IEEE_F64LE, sp, H5T_NATIVE_DOUBLE, &v);
  H5Sclose(sp);
}

void fz_h5_attr_string(fz_reader *r, hid_t obj, const char *name, const char *intended) {
  const uint8_t c = fz_u8(r) % 16;
  if (bent_attr(r, obj, name, c)) return;
  hid_t sp = H5Screate(H5S_SCALAR), t = vlen_str();
  const char *v = intended;
  char buf[256];
  if (c == 8) v = fz_text(r, buf, sizeof buf) ? buf : "";
  put_attr(obj, name, t, sp, t, &v);
  H5Tclose(t);
  H5Sclose(sp);
}

/* The file types a bent dataset may have. */
static hid_t file_type(uint8_t c) {
  switch (c % 9) {
    case 0: return H5Tcopy(H5T_IEEE_F64LE);
    case 1: return H5Tcopy(H5T_IEEE_F32BE);
    case 2: return H5Tcopy(H5T_STD_I32LE);
    case 3: return H5Tcopy(H5T_STD_I8LE);
    case 4: return H5Tcopy(H5T_STD_U64LE);
    case 5: return H5Tcopy(H5T_NATIVE_HBOOL);
    case 6: {
      hid_t t = H5Tcopy(H5T_C_S1);
      H5Tset_size(t, 8);
      return t;
    }
    case 7: {
      hid_t t = H5Tcreate(H5T_COMPOUND, 16);
      H5Tinsert(t, "a", 0, H5T_NATIVE_DOUBLE);
      H5Tinsert(t, "b", 8, H5T_NATIVE_INT64);
      return t;
    }
    default: {
      const hsize_t two = 2;
      return H5Tarray_create2(H5T_NATIVE_DOUBLE, 1, &two);
    }
  }
}

/* Creates the dataset; writes `buf` (memory type mtype) if given. Shapes too
 * large to write are chunked with unlimited maximum dimensions and left
 * unwritten, so that a tiny file claims a huge array. */
static void put_dataset(hid_t loc, const char *name, hid_t ftype, int rank, const hsize_t *dims, hid_t mtype,
                        const void *buf) {
  hid_t sp = rank == 0 ? H5Screate(H5S_SCALAR) : -1, dcpl = H5Pcreate(H5P_DATASET_CREATE);
  uint64_t total = 1;
  int huge = 0;
  for (int k = 0; k < rank; k++) {
    if (dims[k] && total > UINT64_MAX / dims[k]) huge = 1;
    else total *= dims[k];
  }
  huge = huge || total > MAX_WRITTEN;
  if (rank > 0) {
    hsize_t maxd[8], chunk[8];
    for (int k = 0; k < rank; k++) {
      maxd[k] = H5S_UNLIMITED;
      chunk[k] = dims[k] == 0 ? 1 : dims[k] < 16 ? dims[k] : 16;
    }
    sp = H5Screate_simple(rank, dims, huge ? maxd : NULL);
    if (huge) H5Pset_chunk(dcpl, rank, chunk);
  }
  hid_t ds = sp < 0 ? -1 : H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (ds >= 0 && buf && !huge && total > 0) H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  if (ds >= 0) H5Dclose(ds);
  if (sp >= 0) H5Sclose(sp);
  H5Pclose(dcpl);
}

void fz_h5_dataset(fz_reader *r, hid_t loc, const char *name, int is_int, int rank, const hsize_t *dims,
                   const void *data) {
  const uint8_t c = fz_u8(r) % 16;
  const hid_t mtype = is_int ? H5T_NATIVE_INT32 : H5T_NATIVE_DOUBLE;
  const hid_t ftype = is_int ? H5T_STD_I32LE : H5T_IEEE_F64LE;
  uint64_t count = 1;
  for (int k = 0; k < rank; k++) count *= dims[k];
  if (c <= 8) {
    put_dataset(loc, name, ftype, rank, dims, mtype, data);
  } else if (c == 9) {
    /* absent */
  } else if (c == 10) {
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g >= 0) H5Gclose(g);
  } else if (c == 11) {
    /* the intended values in another file type (HDF5 converts what it can) */
    hid_t t = file_type(fz_u8(r));
    const int convertible = H5Tget_class(t) == H5T_FLOAT || H5Tget_class(t) == H5T_INTEGER;
    put_dataset(loc, name, t, rank, dims, mtype, convertible ? data : NULL);
    H5Tclose(t);
  } else if (c == 12 || c == 13) {
    /* other dimensions: a random rank and shape, or one dimension changed */
    hsize_t d[4] = {0, 0, 0, 0};
    int rk = rank;
    if (c == 12) {
      rk = (int)fz_below(r, 5);
      for (int k = 0; k < rk; k++) d[k] = fz_dim(r);
    } else {
      for (int k = 0; k < rk; k++) d[k] = dims[k];
      if (rk > 0) {
        const uint32_t which = fz_below(r, (uint32_t)rk); /* before fz_dim: the order of reads is the recipe */
        d[which] = fz_dim(r);
      }
    }
    uint64_t n = 1;
    for (int k = 0; k < rk; k++) n = d[k] && n > UINT64_MAX / d[k] ? UINT64_MAX : n * d[k];
    double *buf = n <= MAX_WRITTEN ? malloc((n ? n : 1) * sizeof *buf) : NULL;
    for (uint64_t k = 0; buf && k < n; k++) buf[k] = is_int ? (double)(1 + k % 4) : fz_double(r);
    put_dataset(loc, name, ftype, rk, d, H5T_NATIVE_DOUBLE, buf);
    free(buf);
  } else if (c == 14) {
    /* the intended data with a few values replaced */
    const size_t bytes = (size_t)count * (is_int ? sizeof(int32_t) : sizeof(double));
    unsigned char *buf = count && count <= MAX_WRITTEN ? malloc(bytes) : NULL;
    if (buf) {
      memcpy(buf, data, bytes);
      for (int e = 1 + (int)fz_below(r, 3); e > 0; e--) {
        const size_t k = fz_u32(r) % count;
        if (is_int) ((int32_t *)(void *)buf)[k] = (int32_t)fz_int(r);
        else ((double *)(void *)buf)[k] = fz_double(r);
      }
    }
    put_dataset(loc, name, ftype, rank, dims, mtype, buf ? buf : data);
    free(buf);
  } else {
    /* a scalar where an array is expected */
    const double v = fz_double(r);
    put_dataset(loc, name, ftype, 0, dims, H5T_NATIVE_DOUBLE, &v);
  }
}
