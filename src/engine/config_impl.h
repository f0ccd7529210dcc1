/* config_impl.h (internal): what config.c needs from the schema table. */
#ifndef PERTURB_CONFIG_IMPL_H
#define PERTURB_CONFIG_IMPL_H

#include <stddef.h>

/* "section.key" of schema row `index` (static storage). */
const char *pt_config_schema_name(size_t index);

#endif
