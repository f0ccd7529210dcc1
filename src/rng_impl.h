/* rng_impl.h (internal): the state of perturb's Philox generator, so that the
 * noise samplers can take 64-bit words without a function call per number. */
#ifndef PERTURB_RNG_IMPL_H
#define PERTURB_RNG_IMPL_H

#include <stdint.h>
#include <Random123/philox.h>
#include <gsl/gsl_rng.h>

typedef struct pt_philox_state {
  philox4x64_ctr_t ctr; /* {epoch, instance, sample, block} */
  philox4x64_key_t key; /* {seed, purpose} */
  uint64_t out[4];      /* the current block */
  unsigned next;        /* next unused 32-bit half (0..8); 8 = block used up */
} pt_philox_state;

/* Computes the next block into out[] and advances the block counter. */
static inline void pt_philox_refill(pt_philox_state *st) {
  const philox4x64_ctr_t r = philox4x64(st->ctr, st->key);
  st->ctr.v[3]++;
  for (int i = 0; i < 4; i++) st->out[i] = r.v[i];
  st->next = 0;
}

/* The next 64-bit word of a generator made by pt_rng_alloc(). A word starts on
 * an even 32-bit position; a half-used word is skipped. */
static inline uint64_t pt_rng_u64(gsl_rng *r) {
  pt_philox_state *st = r->state;
  unsigned k = (st->next + 1) & ~1u;
  if (k >= 8) {
    pt_philox_refill(st);
    k = 0;
  }
  st->next = k + 2;
  return st->out[k / 2];
}

/* A uniform double in the open interval (0, 1) from the top 53 bits of a word. */
static inline double pt_u64_to_open01(uint64_t w) {
  return ((double)(int64_t)(w >> 11) + 0.5) * 0x1p-53;
}

#endif
