/* data_impl.h (internal): helpers shared by the data module's files. */
#ifndef PERTURB_DATA_IMPL_H
#define PERTURB_DATA_IMPL_H

#include <stddef.h>

/* The file name of `path` without its directory and without `suffix` (e.g.
 * ".csv"), truncated to fit `size` bytes: a dataset's default name. */
void pt_path_stem(const char *path, const char *suffix, char *out, size_t size);

#endif
