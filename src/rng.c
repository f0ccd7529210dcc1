/* rng.c: Philox4x64-10 streams exposed as GSL generators.
 *
 * A pt_rng_id maps onto Philox's key and counter:
 *   key = {seed, purpose},  counter = {epoch, instance, sample, block}.
 * Each Philox call yields four 64-bit words. Through the GSL interface they
 * are handed out as eight 32-bit numbers (GSL generators return at most 32
 * bits); perturb's own samplers take whole 64-bit words (rng_impl.h).
 * Random123's GSL adapter (gsl_microrng.h) keeps only the low half of each
 * word and has no 64-bit path, hence this small generator of our own. */
#include "perturb/rng.h"

#include "perturb/error.h"
#include "rng_impl.h"

static unsigned long int philox_get(void *vstate) {
  pt_philox_state *st = vstate;
  if (st->next >= 8) pt_philox_refill(st);
  const unsigned k = st->next++;
  return (uint32_t)(st->out[k / 2] >> (32 * (k % 2)));
}

static double philox_get_double(void *vstate) {
  return (double)philox_get(vstate) / 4294967296.0;
}

/* GSL's seeding entry: a plain integer seed selects the stream (seed, 0, 0, 0, 0). */
static void philox_set(void *vstate, unsigned long int seed) {
  const pt_rng_id id = {seed, 0, 0, 0, 0};
  gsl_rng r = {NULL, vstate};
  pt_rng_seek(&r, &id);
}

static const gsl_rng_type philox_type = {
  "perturb-philox4x64", 0xffffffffUL, 0, sizeof(pt_philox_state), philox_set, philox_get, philox_get_double};

gsl_rng *pt_rng_alloc(void) {
  /* GSL reports allocation failure through its error handler (abort by
   * default); turn it off so that the failure comes back as NULL. */
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  gsl_rng *r = gsl_rng_alloc(&philox_type);
  gsl_set_error_handler(old);
  if (r == NULL) pt_error(PT_ENOMEM, "pt_rng_alloc: out of memory");
  return r;
}

void pt_rng_seek(gsl_rng *r, const pt_rng_id *id) {
  pt_philox_state *st = r->state;
  const philox4x64_ctr_t ctr = {{id->epoch, id->instance, id->sample, 0}};
  const philox4x64_key_t key = {{id->seed, id->purpose}};
  st->ctr = ctr;
  st->key = key;
  st->next = 8;
}

const gsl_rng_type *pt_rng_type(void) { return &philox_type; }
