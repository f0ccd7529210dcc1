/* config_impl.h (internal): what config.c needs from the schema table. */
#ifndef PERTURB_CONFIG_IMPL_H
#define PERTURB_CONFIG_IMPL_H

#include <stddef.h>

/* "section.key" of schema row `index` (static storage). */
const char *pt_config_schema_name(size_t index);

/* A rule between two keys, each "in effect" when set explicitly (in a file
 * or an override) to a value other than its `off` text (NULL: any value):
 * if `key` is in effect, `other` must be too (excludes = 0) or must not be
 * (excludes = 1). `why` ends the message. An `off` text "=VALUE" turns the
 * test around: the key is in effect only when set explicitly to VALUE (one
 * choice among several, e.g. task.kind = plugin). */
typedef struct pt_config_rule {
  const char *key, *key_off;
  int excludes;
  const char *other, *other_off;
  const char *why;
} pt_config_rule;

/* The rules, ended by a row whose key is NULL (static storage). */
const pt_config_rule *pt_config_rules(void);

#endif
