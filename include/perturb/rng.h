/**
 * @file perturb/rng.h
 * @brief Counter-based random streams (Philox4x64-10 from Random123).
 *
 * perturb never advances a global random state. Every random number is a pure
 * function of a ::pt_rng_id — (seed, purpose, epoch, instance, sample) — and
 * of its position (block) inside that id's stream. Seeking a stream to an id
 * costs nothing, so any rank can draw the noise of any (instance, sample) pair
 * and get the same numbers; this is what makes results independent of the
 * number of MPI ranks.
 *
 * The stream is exposed as a GSL generator (`gsl_rng`), so every GSL
 * distribution (`gsl_ran_gaussian_ziggurat`, `gsl_ran_gumbel1`, ...) can
 * draw from it. After pt_rng_seek() a stream yields up to 2^34 32-bit words
 * before it would wrap; perturb's own draws use a few per number.
 */
#ifndef PERTURB_RNG_H
#define PERTURB_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Well-known purposes, so that different uses of one seed never share numbers. */
enum pt_rng_purpose {
  PT_PURPOSE_PERTURB = 1,  /**< the noise Z of perturbed optimizers */
  PT_PURPOSE_SHUFFLE = 2,  /**< the order of training instances in an epoch */
  PT_PURPOSE_INIT = 3,     /**< initial model weights */
  PT_PURPOSE_DATA = 4,     /**< synthetic data generation */
  PT_PURPOSE_SPLIT = 5,    /**< train/test splits and folds */
  PT_PURPOSE_USER = 1024   /**< first value free for applications */
};

/** The identity of one random stream. */
typedef struct pt_rng_id {
  uint64_t seed;      /**< the user's seed */
  uint64_t purpose;   /**< a ::pt_rng_purpose or an application's own value */
  uint64_t epoch;     /**< training epoch (or any outer counter) */
  uint64_t instance;  /**< global id of the data instance */
  uint64_t sample;    /**< id of the perturbation sample (0..M-1) */
} pt_rng_id;

/**
 * Allocates a Philox stream as a GSL generator. It must be positioned with
 * pt_rng_seek() before the first draw. Free it with `gsl_rng_free`.
 * Returns NULL (and sets pt_last_error()) if memory is exhausted.
 */
gsl_rng *pt_rng_alloc(void);

/**
 * Positions @p r at the start of the stream @p id. Draws that follow are a
 * pure function of @p id and their position. Both arguments must be non-NULL
 * and @p r must come from pt_rng_alloc(). Not collective; never fails.
 */
void pt_rng_seek(gsl_rng *r, const pt_rng_id *id);

/** The GSL generator type behind pt_rng_alloc() (named "perturb-philox4x64"). */
const gsl_rng_type *pt_rng_type(void);

#ifdef __cplusplus
}
#endif
#endif
