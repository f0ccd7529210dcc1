/* dist.h (internal): how ranks share the work of a batch, and how they agree.
 *
 * The ranks form a grid of instance_groups × sample_groups: rank r works on
 * the instances of share (r / sample_groups) of every batch and on the samples
 * of share (r % sample_groups). Results are made independent of the grid:
 *  - sums over samples are of integer-valued solver outputs (exact in double),
 *  - every other per-instance quantity has exactly one owner, so a sum over
 *    ranks adds it to zeros (exact),
 *  - real-valued sums over instances (losses) go through 64-bit fixed point.
 */
#ifndef PERTURB_DIST_H
#define PERTURB_DIST_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "perturb/error.h"

typedef struct pt_decomp {
  int nranks, rank;
  int instance_groups, sample_groups; /* instance_groups × sample_groups = nranks */
  int igroup, sgroup;                 /* this rank's place in the grid */
} pt_decomp;

/*
 * Chooses the grid for `nranks` ranks, batches of `batch` instances and
 * `samples` samples per instance. `split_samples` is 0 for losses whose
 * per-sample terms are not integers (they must keep sample_groups = 1).
 * `want_i`, `want_s` are the configured group counts (0 = automatic). The
 * automatic choice splits instances first (cheaper: no duplicated work), then
 * samples. Fails with PT_ECONFIG if the ranks cannot all get work.
 */
pt_status pt_decomp_choose(int nranks, int rank, size_t batch, size_t samples, int split_samples, int64_t want_i,
                           int64_t want_s, pt_decomp *out);

/* [*begin, *end): this rank's contiguous share of `count` items among `groups`, as group `g`. */
void pt_share(size_t count, int groups, int g, size_t *begin, size_t *end);

/*
 * Agreement on a status after a phase in which any rank may fail: collective
 * over `comm`. If some rank failed, every rank returns the status and the
 * message of the lowest failing rank (so all ranks stop with the same line);
 * otherwise PT_OK.
 */
pt_status pt_dist_agree(MPI_Comm comm, pt_status st);

/* FNV-1a (64-bit) of `bytes` bytes at `data`, continuing from `h` (start
 * with PT_HASH_INIT): a checksum, not a cryptographic hash. Not collective. */
#define PT_HASH_INIT UINT64_C(14695981039346656037)
uint64_t pt_hash_bytes(uint64_t h, const void *data, size_t bytes);

/*
 * Checks that `bytes` bytes at `data` are the same on every rank of `comm`
 * (by their pt_hash_bytes, gathered on every rank). Collective; every rank
 * returns the same status: PT_EMPI with a message naming `what` and the ranks
 * that differ from rank 0 if they are not all the same. Every rank applies
 * the optimiser's update itself, so this is how a rank whose arithmetic
 * differs (another CPU, another BLAS kernel) is caught rather than left to
 * drift.
 */
pt_status pt_dist_check_same(MPI_Comm comm, const void *data, size_t bytes, const char *what);

/* Fixed-point scale for sums of real values across ranks: 2^-32 resolution. */
#define PT_FIXED_SCALE 4294967296.0

/* x·2^32 rounded to an integer; PT_EDOM if |x| ≥ 2^30 (the sum of up to 2^30
 * such terms cannot overflow) or x is not finite. */
pt_status pt_to_fixed(double x, int64_t *out);

#endif
