/* dist.c: the rank grid and collective agreement on errors. */
#include "dist.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

pt_status pt_decomp_choose(int nranks, int rank, size_t batch, size_t samples, int split_samples, int64_t want_i,
                           int64_t want_s, pt_decomp *out) {
  const size_t max_s = split_samples ? samples : 1;
  int gi = 0, gs = 0;
  if (want_i > 0 || want_s > 0) {
    gi = want_i > 0 ? (int)want_i : (want_s > 0 && nranks % want_s == 0 ? nranks / (int)want_s : 0);
    gs = want_s > 0 ? (int)want_s : (gi > 0 && nranks % gi == 0 ? nranks / gi : 0);
    if (gi <= 0 || gs <= 0 || (int64_t)gi * gs != nranks)
      return pt_error(PT_ECONFIG, "dist.instance_groups x dist.sample_groups must equal the %d ranks (got %lld x %lld)",
                      nranks, (long long)want_i, (long long)want_s);
  } else {
    /* the largest instance split that divides the ranks and fits the batch */
    for (int i = nranks; i >= 1; i--)
      if (nranks % i == 0 && (size_t)i <= batch && (size_t)(nranks / i) <= max_s) {
        gi = i;
        gs = nranks / i;
        break;
      }
    if (gi == 0)
      return pt_error(PT_ECONFIG,
                      "%d ranks cannot share batches of %zu instances x %zu samples%s: use at most %zu ranks",
                      nranks, batch, samples, split_samples ? "" : " (this loss does not split samples)",
                      batch * max_s);
  }
  if ((size_t)gi > batch)
    return pt_error(PT_ECONFIG, "%d instance groups exceed the batch size %zu", gi, batch);
  if ((size_t)gs > max_s)
    return pt_error(PT_ECONFIG, "%d sample groups exceed the %zu samples this loss can split", gs, max_s);
  out->nranks = nranks;
  out->rank = rank;
  out->instance_groups = gi;
  out->sample_groups = gs;
  out->igroup = rank / gs;
  out->sgroup = rank % gs;
  return PT_OK;
}

void pt_share(size_t count, int groups, int g, size_t *begin, size_t *end) {
  *begin = count * (size_t)g / (size_t)groups;
  *end = count * (size_t)(g + 1) / (size_t)groups;
}

pt_status pt_dist_agree(MPI_Comm comm, pt_status st) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int mine = st == PT_OK ? size : rank, first;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return PT_OK;
  struct {
    int status;
    char text[1024];
  } msg;
  memset(&msg, 0, sizeof msg);
  if (rank == first) {
    msg.status = (int)st;
    strncpy(msg.text, pt_last_error(), sizeof msg.text - 1);
  }
  MPI_Bcast(&msg, (int)sizeof msg, MPI_BYTE, first, comm);
  if (rank != first) pt_error((pt_status)msg.status, "%s", msg.text);
  return (pt_status)msg.status;
}

pt_status pt_to_fixed(double x, int64_t *out) {
  if (!isfinite(x) || fabs(x) >= 1073741824.0)
    return pt_error(PT_EDOM, "a loss value reached %g (not finite, or beyond the 2^30 the exact sums allow): "
                             "the training diverged; try a lower optim.lr",
                    x);
  *out = (int64_t)llround(x * PT_FIXED_SCALE);
  return PT_OK;
}

uint64_t pt_hash_bytes(uint64_t h, const void *data, size_t bytes) {
  const unsigned char *b = data;
  for (size_t k = 0; k < bytes; k++) {
    h ^= b[k];
    h *= UINT64_C(1099511628211);
  }
  return h;
}

pt_status pt_dist_check_same(MPI_Comm comm, const void *data, size_t bytes, const char *what) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const uint64_t mine = pt_hash_bytes(PT_HASH_INIT, data, bytes);
  uint64_t *all = malloc((size_t)size * sizeof *all);
  PT_TRY(pt_dist_agree(comm, all ? PT_OK : pt_error(PT_ENOMEM, "out of memory checking %s across ranks", what)));
  MPI_Allgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, comm);
  char list[256] = "";
  size_t len = 0;
  int ndiff = 0;
  for (int r = 1; r < size; r++) {
    if (all[r] == all[0]) continue;
    if (ndiff++ < 16 && len < sizeof list)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s%d", ndiff > 1 ? ", " : "", r);
  }
  const uint64_t ref = all[0];
  free(all);
  if (ndiff == 0) return PT_OK;
  return pt_error(PT_EMPI, "%s differ between ranks: rank%s %s%s differ%s from rank 0 (checksum %016" PRIx64
                  "); the ranks' arithmetic has drifted apart (different CPUs or BLAS kernels?)",
                  what, ndiff > 1 ? "s" : "", list, ndiff > 16 ? ", ..." : "", ndiff > 1 ? "" : "s", ref);
}
