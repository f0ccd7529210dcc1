/* data/synthetic.h (internal): the dataset the [synthetic] section of a
 * configuration describes, for `perturb gen` and for a run without
 * data.train. */
#ifndef PERTURB_DATA_SYNTHETIC_H
#define PERTURB_DATA_SYNTHETIC_H

#include "perturb/config.h"
#include "perturb/data.h"

/* Generates the dataset of synthetic.kind: per_label or affine (the ranking
 * generator of Fig. 4: n, labels, features, sigma, seed), shortest_path (the
 * grid benchmark: n, features, grid, deg, noise_halfwidth, seed) or warcraft
 * (maps: n, grid, cell_pixels, seed). One line naming the key for a value
 * the generator refuses. Not collective: every rank gets the same bits. */
pt_status pt_synthetic_from_config(const pt_config *cfg, pt_dataset **out);

#endif
