/* normal.h (internal): standard Gaussians drawn many at a time, in SIMD.
 *
 * The ziggurat of noise.c draws one number at a time from a Philox4x64
 * stream: a table lookup, a comparison and a rare slow path per number. That
 * does not vectorise, and in the FY ranking gradient at small d it is half of
 * the time (docs/performance.md). This module draws the same law with a
 * method that does:
 *
 *  - the numbers of one stream (seed, purpose, epoch, instance) sit at flat
 *    positions t = 0, 1, 2, …; the pair (2b, 2b+1) comes from Philox4x32-10
 *    block b, whose key and upper counter words are a Philox4x64-10 hash of
 *    the stream's id (so 2^64 blocks per stream, and streams that differ in
 *    any field of the id share nothing);
 *  - the block's 128 bits give two 52-bit uniforms: u ∈ (0, 1) and an angle
 *    φ ∈ [−π/4, π/4) plus a quadrant q ∈ {0, 1, 2, 3};
 *  - Box and Muller (1958): r = sqrt(−2 log u), and the pair is
 *    r·(cos, sin)(qπ/2 + φ), exact in law;
 *  - log, sin and cos are fdlibm's kernels (log: e_log.c; sin and cos on
 *    [−π/4, π/4]: k_sin.c, k_cos.c), written with + − × ÷ and sqrt only, so
 *    that every instruction set rounds each step the same way (IEEE 754) and
 *    the portable, AVX2 and AVX-512 versions give the same bits (tests in
 *    test_normal.c). The range reduction is exact by construction: the
 *    quadrant comes from the bits, not from dividing by π.
 *
 * The largest |z| is sqrt(−2 log 2^−53) = 8.57: the law is truncated where
 * the Gaussian tail has mass 1e−17. */
#ifndef PERTURB_NORMAL_H
#define PERTURB_NORMAL_H

#include <stddef.h>
#include <stdint.h>

#include "perturb/rng.h"

/* One stream's Philox4x32 key and the upper words of its counters. */
typedef struct pt_normal_stream {
  uint32_t key[2];
  uint32_t ctr_hi[2];
} pt_normal_stream;

/* The stream of id's (seed, purpose, epoch, instance); id->sample is not
 * used (the samples of an instance are positions in its stream). */
void pt_normal_stream_of(const pt_rng_id *id, pt_normal_stream *s);

/* A stream of the whole id, sample included (the GSL entry point of the
 * Gaussian noise); never the same as an instance stream. */
void pt_normal_stream_of_sample(const pt_rng_id *id, pt_normal_stream *s);

/* z[k] = the number at position first + k of stream s, k = 0 … n−1: a pure
 * function of s and of the position, whatever n, first or the SIMD path. */
void pt_normal_fill(const pt_normal_stream *s, uint64_t first, size_t n, double *z);

#endif
