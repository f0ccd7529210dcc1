/* synthetic.c: the [synthetic] section of a configuration to a generator. */
#include "data/synthetic.h"

#include <string.h>

#include "check.h"

pt_status pt_synthetic_from_config(const pt_config *cfg, pt_dataset **out) {
  const char *kind;
  int64_t n, labels, features, seed, deg, grid, cell_pixels;
  double sigma, halfwidth;
  *out = NULL;
  PT_TRY(pt_config_get_string(cfg, "synthetic.kind", &kind));
  PT_TRY(pt_config_get_int(cfg, "synthetic.n", &n));
  PT_TRY(pt_config_get_int(cfg, "synthetic.labels", &labels));
  PT_TRY(pt_config_get_int(cfg, "synthetic.features", &features));
  PT_TRY(pt_config_get_double(cfg, "synthetic.sigma", &sigma));
  PT_TRY(pt_config_get_int(cfg, "synthetic.seed", &seed));
  PT_TRY(pt_config_get_int(cfg, "synthetic.deg", &deg));
  PT_TRY(pt_config_get_double(cfg, "synthetic.noise_halfwidth", &halfwidth));
  PT_TRY(pt_config_get_int(cfg, "synthetic.grid", &grid));
  PT_TRY(pt_config_get_int(cfg, "synthetic.cell_pixels", &cell_pixels));
  if (strcmp(kind, "shortest_path") == 0) {
    /* the schema bounds it by 1; the generator wants it below */
    if (halfwidth >= 1.0)
      return pt_error(PT_ECONFIG, "synthetic.noise_halfwidth = %g: must be below 1 (costs times U[1 - w, 1 + w] "
                                  "must stay positive)", halfwidth);
    const pt_grid_paths_params gp = {(size_t)n, (size_t)features, (size_t)grid, (int)deg, halfwidth, (uint64_t)seed};
    return pt_dataset_grid_paths(&gp, out);
  }
  if (strcmp(kind, "warcraft") == 0) {
    const pt_warcraft_params wp = {(size_t)n, (size_t)grid, (size_t)cell_pixels, (uint64_t)seed};
    return pt_dataset_warcraft(&wp, out);
  }
  const pt_synthetic_params sp = {strcmp(kind, "per_label") == 0, (size_t)n, (size_t)labels, (size_t)features, sigma,
                                  (uint64_t)seed};
  return pt_dataset_synthetic(&sp, out);
}
