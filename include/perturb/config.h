/**
 * @file perturb/config.h
 * @brief Run configuration: INI files, command-line overrides, validation.
 *
 * A configuration is a fixed schema of typed keys grouped in sections, each
 * with a default. Files use INI syntax (parsed with inih):
 *
 *     [loss]
 *     kind = fy          ; comments with ; or #
 *     epsilon = 0.5
 *
 * and any key can be overridden with `section.key=value`. Unknown sections
 * and keys are errors that name the file and line (or the override), so a
 * typo never silently falls back to a default. The resolved configuration
 * (every key, defaults included) can be written back as INI text, which is
 * what run files store.
 *
 * Limits: a string value (a path) is at most PATH_MAX - 1 = 4095 characters,
 * the longest path the system allows, in a file or an override; a line of a
 * file is at most 2 * PATH_MAX - 3 characters. Longer values and lines are
 * refused with their line number, never cut. Numbers use the C locale's
 * decimal point.
 *
 * Not collective: every MPI rank parses the same file and gets the same result.
 */
#ifndef PERTURB_CONFIG_H
#define PERTURB_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "perturb/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque configuration: a value for every key of the schema. */
typedef struct pt_config pt_config;

/** The type of a key's value. */
typedef enum pt_config_type {
  PT_CONFIG_STRING = 0, /**< free text (paths, names) */
  PT_CONFIG_INT = 1,    /**< a signed 64-bit integer within [min, max] */
  PT_CONFIG_DOUBLE = 2, /**< a finite double within [min, max] (bounds may be exclusive) */
  PT_CONFIG_CHOICE = 3, /**< one of a fixed list of words */
  PT_CONFIG_BOOL = 4    /**< true/false, yes/no, on/off, 1/0 */
} pt_config_type;

/** One key of the schema (a row of the table in src/engine/config/config_schema.c). */
typedef struct pt_config_key {
  const char *section;  /**< e.g. "loss" */
  const char *key;      /**< e.g. "epsilon" */
  pt_config_type type;  /**< value type */
  const char *fallback; /**< default, as text ("" for an empty string) */
  double min, max;      /**< INT and DOUBLE: allowed range */
  int min_exclusive;    /**< DOUBLE: 1 if the value must be > min (e.g. epsilon > 0) */
  const char *choices;  /**< CHOICE: words separated by '|', e.g. "fy|squared" */
  const char *doc;      /**< one line for `perturb train --help` and the docs */
} pt_config_key;

/**
 * The schema: a table of all keys, ended by an entry whose section is NULL.
 * Read-only; used by the parser and to print the documentation.
 */
const pt_config_key *pt_config_schema(void);

/** Creates a configuration holding every key's default. */
pt_status pt_config_alloc(pt_config **out);

/** *out = a copy of @p src: every value, and which keys were set where. */
pt_status pt_config_copy(const pt_config *src, pt_config **out);

/** Frees @p *c (NULL-safe) and sets @p *c to NULL. */
void pt_config_free(pt_config **c);

/**
 * Reads an INI file into @p c, key by key, each value parsed and checked
 * against the schema. Errors (#PT_EIO for an unreadable file, #PT_ECONFIG
 * otherwise) name the file and line: unknown section, unknown key, a key given
 * twice, a value of the wrong type or out of range, a syntax error. On error
 * @p c keeps the values read before the error.
 */
pt_status pt_config_load_file(pt_config *c, const char *path);

/**
 * Reads INI text (as stored in a run file) into @p c; @p origin names the text
 * in error messages (e.g. "run.h5:/config").
 */
pt_status pt_config_load_string(pt_config *c, const char *text, const char *origin);

/**
 * Applies one override "section.key=value" (spaces around '=' allowed).
 * #PT_ECONFIG naming the override if it is malformed, names an unknown
 * section or key, or has a bad value.
 */
pt_status pt_config_set(pt_config *c, const char *assignment);

/**
 * Applies the overrides assignments[0..n) in order, as pt_config_set() does.
 * #PT_ECONFIG naming both overrides if two set the same key (the later one
 * would silently win). Each key set records "command line" as its origin.
 */
pt_status pt_config_set_overrides(pt_config *c, char *const *assignments, int n);

/**
 * Checks the rules between keys that were set explicitly (in a file or an
 * override; keys left at their default take part in no rule): a key that
 * needs another (data.fold needs data.folds, data.inner_folds needs
 * data.folds, data.inner_fold needs data.inner_folds) or excludes another
 * (data.test with data.folds, data.test_fraction with data.test or
 * data.folds, data.train with data.dataset). data.folds and data.inner_folds
 * set to 0, and strings set empty, count as not set. #PT_ECONFIG for the first
 * broken rule, naming both keys and where each was set (file:line or
 * "command line"). Not collective.
 */
pt_status pt_config_check(const pt_config *c);

/** *out = the string value of "section.key" (valid while @p c lives). #PT_ECONFIG if no such key or not a STRING/CHOICE. */
pt_status pt_config_get_string(const pt_config *c, const char *name, const char **out);
/** *out = the INT value of "section.key". #PT_ECONFIG if no such key or not an INT. */
pt_status pt_config_get_int(const pt_config *c, const char *name, int64_t *out);
/** *out = the DOUBLE value of "section.key". #PT_ECONFIG if no such key or not a DOUBLE. */
pt_status pt_config_get_double(const pt_config *c, const char *name, double *out);
/** *out = the BOOL value of "section.key" as 0 or 1. #PT_ECONFIG if no such key or not a BOOL. */
pt_status pt_config_get_bool(const pt_config *c, const char *name, int *out);

/**
 * The resolved configuration as INI text: every section of the schema in
 * schema order, every key with its current value, one "key = value" per line.
 * Loading this text with pt_config_load_string() gives an equal configuration.
 * The caller frees *text with free().
 */
pt_status pt_config_to_ini(const pt_config *c, char **text);

/**
 * Nonzero if @p a and @p b hold the same value for every key; if they differ
 * and @p first_difference is not NULL, it receives the first differing
 * "section.key" (static storage of the schema).
 */
int pt_config_equal(const pt_config *a, const pt_config *b, const char **first_difference);

#ifdef __cplusplus
}
#endif
#endif
