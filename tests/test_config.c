/* test_config.c: the configuration module (perturb/config.h).
 *
 * What this file proves:
 *  - the schema holds exactly the documented keys, types, defaults and
 *    ranges, and a fresh configuration holds every default with its type;
 *  - INI files (comments, blank lines, inline comments, CRLF, a BOM, an empty
 *    file) and overrides of every type load the values they spell;
 *  - to_ini -> load_string gives an equal configuration, doubles bit for bit
 *    (0.1, 1e-300, a subnormal, 123456789.123456789, ...);
 *  - pt_config_equal names the first differing key in schema order;
 *  - every bad input fails with the documented status and one line naming
 *    the origin and line (or the override) and the key: unknown section or
 *    key, a key given twice or outside any section, bad or out-of-range
 *    values, syntax errors, missing files, directories, NULL arguments;
 *  - a failed load keeps exactly the values read before the error;
 *  - CR-only and mixed line ends load; paths up to 4095 characters load and
 *    round-trip, longer ones are refused (issue #8 item 17);
 *  - the rules between explicitly set keys and a key given twice in the
 *    overrides fail with one line naming both keys and where each was set;
 *    control bytes in user text are escaped and long text is cut (items 4, 17). */
#define _POSIX_C_SOURCE 200809L /* mkstemp */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perturb/config.h"
#include "testlib.h"

/* Like CHECK_FAILS_MSG with two substrings the message must contain. */
#define CHECK_FAILS_MSG2(call, want, sub1, sub2) \
  (pt_clear_error(), pt_test_expect_fail((call), (want), (sub1), (sub2), #call, __FILE__, __LINE__))

/* The last error message must be exactly `want`. */
#define CHECK_MESSAGE(want)                                                                                 \
  CHECK(strcmp(pt_last_error(), (want)) == 0, "message\n    '%s'\n  wanted\n    '%s'", pt_last_error(), \
        (want))

/* ------------------------------------------------------------------------ */
/* Temporary files, removed at the end                                       */

enum { MAX_TEMP = 16 };
static char temp_paths[MAX_TEMP][64];
static int temp_count = 0;

/* Writes len bytes of content to a new file under /tmp; returns its path. */
static const char *write_temp_bytes(const char *content, size_t len) {
  if (temp_count == MAX_TEMP) {
    CHECK(0, "too many temporary files");
    return "/nonexistent";
  }
  char *path = temp_paths[temp_count];
  snprintf(path, sizeof temp_paths[0], "/tmp/test_config_XXXXXX");
  const int fd = mkstemp(path);
  CHECK(fd >= 0, "mkstemp %s", path);
  if (fd < 0) return "/nonexistent";
  temp_count++;
  const ssize_t written = write(fd, content, len);
  CHECK(written == (ssize_t)len, "write %s", path);
  close(fd);
  return path;
}

static const char *write_temp(const char *content) { return write_temp_bytes(content, strlen(content)); }

static void remove_temps(void) {
  for (int i = 0; i < temp_count; i++) CHECK(remove(temp_paths[i]) == 0, "remove %s", temp_paths[i]);
  temp_count = 0;
}

/* ------------------------------------------------------------------------ */
/* The schema                                                                */

typedef struct expected_key {
  const char *section, *key;
  pt_config_type type;
  const char *fallback;
  double min, max;
  int min_exclusive;
  const char *choices;
} expected_key;

/* The table of the specification, restated so that a typo in either shows. */
static const expected_key expected[] = {
  {"data", "train", PT_CONFIG_STRING, "", 0, 0, 0, NULL},
  {"data", "test", PT_CONFIG_STRING, "", 0, 0, 0, NULL},
  {"data", "test_fraction", PT_CONFIG_DOUBLE, "0.2", 0.01, 0.9, 0, NULL},
  {"data", "dataset", PT_CONFIG_STRING, "", 0, 0, 0, NULL},
  {"data", "csv_dir", PT_CONFIG_STRING, "", 0, 0, 0, NULL},
  {"data", "folds", PT_CONFIG_INT, "0", 0, 1000, 0, NULL},
  {"data", "fold", PT_CONFIG_INT, "0", 0, 999, 0, NULL},
  {"data", "inner_folds", PT_CONFIG_INT, "0", 0, 1000, 0, NULL},
  {"data", "inner_fold", PT_CONFIG_INT, "0", -1, 999, 0, NULL},
  {"data", "split_seed", PT_CONFIG_INT, "0", 0, 4611686018427387904.0, 0, NULL},
  {"data", "standardize", PT_CONFIG_BOOL, "false", 0, 0, 0, NULL},
  {"data", "quantile", PT_CONFIG_BOOL, "false", 0, 0, 0, NULL},
  {"synthetic", "kind", PT_CONFIG_CHOICE, "per_label", 0, 0, 0, "per_label|affine|shortest_path|warcraft"},
  {"synthetic", "n", PT_CONFIG_INT, "2000", 2, 100000000, 0, NULL},
  {"synthetic", "labels", PT_CONFIG_INT, "100", 2, 100000, 0, NULL},
  {"synthetic", "features", PT_CONFIG_INT, "50", 1, 100000, 0, NULL},
  {"synthetic", "sigma", PT_CONFIG_DOUBLE, "0", 0, 1e6, 0, NULL},
  {"synthetic", "seed", PT_CONFIG_INT, "1", 0, 4611686018427387904.0, 0, NULL},
  {"synthetic", "deg", PT_CONFIG_INT, "1", 1, 64, 0, NULL},
  {"synthetic", "noise_halfwidth", PT_CONFIG_DOUBLE, "0", 0, 1, 0, NULL},
  {"synthetic", "grid", PT_CONFIG_INT, "5", 2, 1000, 0, NULL},
  {"synthetic", "cell_pixels", PT_CONFIG_INT, "8", 1, 64, 0, NULL},
  {"task", "kind", PT_CONFIG_CHOICE, "auto", 0, 0, 0, "auto|ranking|classification|shortest_path|plugin"},
  {"task", "decision", PT_CONFIG_CHOICE, "solver", 0, 0, 0, "solver|threshold"},
  {"task", "plugin", PT_CONFIG_STRING, "", 0, 0, 0, NULL},
  {"task", "plugin_options", PT_CONFIG_STRING, "", 0, 0, 0, NULL},
  {"model", "kind", PT_CONFIG_CHOICE, "auto", 0, 0, 0, "auto|linear_scorer|affine|mlp|cnn"},
  {"model", "l2", PT_CONFIG_DOUBLE, "0", 0, 1e6, 0, NULL},
  {"model", "l2_biases", PT_CONFIG_BOOL, "true", 0, 0, 0, NULL},
  {"model", "hidden", PT_CONFIG_STRING, "", 0, 0, 0, NULL},
  {"model", "conv", PT_CONFIG_STRING, "", 0, 0, 0, NULL},
  {"model", "stride", PT_CONFIG_INT, "1", 1, 8, 0, NULL},
  {"model", "padding", PT_CONFIG_INT, "1", 0, 2, 0, NULL},
  {"model", "pool", PT_CONFIG_CHOICE, "max", 0, 0, 0, "none|max|avg"},
  {"model", "pool_size", PT_CONFIG_INT, "2", 1, 8, 0, NULL},
  {"model", "head", PT_CONFIG_CHOICE, "dense", 0, 0, 0, "dense|cells"},
  {"model", "output", PT_CONFIG_CHOICE, "scores", 0, 0, 0, "scores|costs|unit_costs"},
  {"loss", "kind", PT_CONFIG_CHOICE, "fy", 0, 0, 0,
   "fy|perturbed_squared|squared|blackbox|ridge|cross_entropy|spo_plus|cost_squared"},
  {"loss", "epsilon", PT_CONFIG_DOUBLE, "1.0", 0, 1e12, 1, NULL},
  {"loss", "samples", PT_CONFIG_INT, "10", 1, 1000000000, 0, NULL},
  {"loss", "noise", PT_CONFIG_CHOICE, "gaussian", 0, 0, 0, "gaussian|gaussian-ziggurat|gumbel"},
  {"loss", "perturbation", PT_CONFIG_CHOICE, "additive", 0, 0, 0, "additive|multiplicative"},
  {"loss", "lambda", PT_CONFIG_DOUBLE, "10", 0, 1e12, 1, NULL},
  {"optim", "kind", PT_CONFIG_CHOICE, "adam", 0, 0, 0, "sgd|adam"},
  {"optim", "lr", PT_CONFIG_DOUBLE, "0.01", 0, 1e6, 1, NULL},
  {"optim", "momentum", PT_CONFIG_DOUBLE, "0.9", 0, 0.999999, 0, NULL},
  {"optim", "beta1", PT_CONFIG_DOUBLE, "0.9", 0, 0.999999, 0, NULL},
  {"optim", "beta2", PT_CONFIG_DOUBLE, "0.999", 0, 0.999999999, 0, NULL},
  {"optim", "adam_eps", PT_CONFIG_DOUBLE, "1e-8", 0, 1, 1, NULL},
  {"optim", "schedule", PT_CONFIG_CHOICE, "constant", 0, 0, 0, "constant|cosine"},
  {"train", "epochs", PT_CONFIG_INT, "10", 1, 1000000, 0, NULL},
  {"train", "min_steps", PT_CONFIG_INT, "0", 0, 1000000000, 0, NULL},
  {"train", "batch_size", PT_CONFIG_INT, "32", 1, 10000000, 0, NULL},
  {"train", "seed", PT_CONFIG_INT, "0", 0, 4611686018427387904.0, 0, NULL},
  {"train", "checkpoint_every", PT_CONFIG_INT, "1", 0, 1000000, 0, NULL},
  {"train", "eval_every", PT_CONFIG_INT, "1", 1, 1000000, 0, NULL},
  {"train", "test_loss", PT_CONFIG_BOOL, "false", 0, 0, 0, NULL},
  {"dist", "instance_groups", PT_CONFIG_INT, "0", 0, 1000000, 0, NULL},
  {"dist", "sample_groups", PT_CONFIG_INT, "0", 0, 1000000, 0, NULL},
  {"dist", "shard_size", PT_CONFIG_INT, "4", 1, 1000000, 0, NULL},
};
enum { NKEYS = sizeof expected / sizeof expected[0] };

static int same_text(const char *a, const char *b) {
  if (a == NULL || b == NULL) return a == b;
  return strcmp(a, b) == 0;
}

static void test_schema(void) {
  const pt_config_key *k = pt_config_schema();
  CHECK(k != NULL, "schema is not NULL");
  if (k == NULL) return;
  size_t n = 0;
  while (k[n].section != NULL) n++;
  CHECK(n == NKEYS, "schema has %zu keys, expected %d", n, (int)NKEYS);
  CHECK(k[n].key == NULL && k[n].fallback == NULL && k[n].doc == NULL, "end entry is all NULL");
  for (size_t i = 0; i < n && i < NKEYS; i++) {
    const expected_key *e = &expected[i];
    const int ok = same_text(k[i].section, e->section) && same_text(k[i].key, e->key) && k[i].type == e->type &&
                   same_text(k[i].fallback, e->fallback) && same_text(k[i].choices, e->choices) &&
                   k[i].min_exclusive == e->min_exclusive &&
                   (e->type == PT_CONFIG_STRING || e->type == PT_CONFIG_CHOICE ||
                    (k[i].min == e->min && k[i].max == e->max));
    CHECK(ok, "schema row %zu is %s.%s, expected %s.%s with the specified type/default/range", i, k[i].section,
          k[i].key, e->section, e->key);
    CHECK(k[i].doc != NULL && strlen(k[i].doc) > 10 && strchr(k[i].doc, '\n') == NULL, "%s.%s has a one-line doc",
          k[i].section, k[i].key);
  }
}

/* "section.key" of expected row i. */
static const char *full_name(size_t i, char *buf, size_t size) {
  snprintf(buf, size, "%s.%s", expected[i].section, expected[i].key);
  return buf;
}

/* Every key holds its default with its type, and a getter of another type fails. */
static void test_defaults(void) {
  pt_config *c = NULL;
  CHECK_OK(pt_config_alloc(&c));
  if (c == NULL) return;
  for (size_t i = 0; i < NKEYS; i++) {
    const expected_key *e = &expected[i];
    char name[64];
    full_name(i, name, sizeof name);
    const char *s = NULL;
    int64_t v = -1;
    double d = NAN;
    int b = -1;
    switch (e->type) {
    case PT_CONFIG_STRING:
    case PT_CONFIG_CHOICE:
      CHECK_OK(pt_config_get_string(c, name, &s));
      CHECK(s != NULL && strcmp(s, e->fallback) == 0, "%s = '%s', default '%s'", name, s ? s : "(null)", e->fallback);
      CHECK_FAILS_MSG(pt_config_get_int(c, name, &v), PT_ECONFIG, name);
      break;
    case PT_CONFIG_INT:
      CHECK_OK(pt_config_get_int(c, name, &v));
      CHECK(v == strtoll(e->fallback, NULL, 10), "%s = %lld, default %s", name, (long long)v, e->fallback);
      CHECK_FAILS_MSG(pt_config_get_double(c, name, &d), PT_ECONFIG, name);
      CHECK_FAILS_MSG(pt_config_get_string(c, name, &s), PT_ECONFIG, name);
      break;
    case PT_CONFIG_DOUBLE:
      CHECK_OK(pt_config_get_double(c, name, &d));
      CHECK(d == strtod(e->fallback, NULL), "%s = %.17g, default %s", name, d, e->fallback);
      CHECK_FAILS_MSG(pt_config_get_int(c, name, &v), PT_ECONFIG, name);
      CHECK_FAILS_MSG(pt_config_get_bool(c, name, &b), PT_ECONFIG, name);
      break;
    case PT_CONFIG_BOOL:
      CHECK_OK(pt_config_get_bool(c, name, &b));
      CHECK_FAILS_MSG(pt_config_get_int(c, name, &v), PT_ECONFIG, name);
      break;
    }
  }
  /* an unknown key names itself; a known section lists its keys */
  double d;
  CHECK_FAILS_MSG2(pt_config_get_double(c, "loss.epsilonn", &d), PT_ECONFIG, "'loss.epsilonn'",
                   "kind, epsilon, samples, noise, perturbation, lambda");
  CHECK_FAILS_MSG2(pt_config_get_double(c, "epsilon", &d), PT_ECONFIG, "'epsilon'", "section.key");
  CHECK_FAILS_MSG(pt_config_get_double(c, "", &d), PT_ECONFIG, "pt_config_get_double");
  const char *s = "untouched";
  CHECK_FAILS(pt_config_get_string(c, "train.epochs", &s), PT_ECONFIG);
  CHECK_MESSAGE("pt_config_get_string: train.epochs is an integer, not a string");
  CHECK(s == NULL, "failed get_string clears *out");
  pt_config_free(&c);
  CHECK(c == NULL, "free clears the handle");
  pt_config_free(&c);
  pt_config_free(NULL);
}

/* ------------------------------------------------------------------------ */
/* Loading valid input                                                       */

static void check_int(const pt_config *c, const char *name, int64_t want) {
  int64_t v = -12345;
  CHECK_OK(pt_config_get_int(c, name, &v));
  CHECK(v == want, "%s = %lld, want %lld", name, (long long)v, (long long)want);
}

static void check_double(const pt_config *c, const char *name, double want) {
  double v = NAN;
  CHECK_OK(pt_config_get_double(c, name, &v));
  CHECK(memcmp(&v, &want, sizeof v) == 0, "%s = %.17g, want %.17g (bitwise)", name, v, want);
}

static void check_string(const pt_config *c, const char *name, const char *want) {
  const char *v = NULL;
  CHECK_OK(pt_config_get_string(c, name, &v));
  CHECK(v != NULL && strcmp(v, want) == 0, "%s = '%s', want '%s'", name, v ? v : "(null)", want);
}

static const char full_file[] =
  "; a complete configuration\n"
  "# both comment styles\n"
  "\n"
  "[data]\n"
  "train = /data/train set.h5   ; inline comment\n"
  "test=/data/test.h5\n"
  "test_fraction = 0.25\n"
  "\n"
  "[synthetic]\n"
  "kind = affine\n"
  "n = 500\n"
  "labels = 7\n"
  "features = 3\n"
  "sigma = 0.5\n"
  "seed = 4611686018427387904\n"
  "[model]\n"
  "  kind = linear_scorer\n" /* indented right after a header: an ordinary key */
  "l2 = 1e-4\n"
  "[loss]\n"
  "kind = perturbed_squared\n"
  "epsilon = 0.05\n"
  "samples = 100\n"
  "noise = gumbel\n"
  "lambda = 2.5\n"
  "[optim]\n"
  "kind = sgd\n"
  "lr = 0.1\n"
  "momentum = 0\n"
  "beta1 = 0.5\n"
  "beta2 = 0.999999999\n"
  "adam_eps = 1\n"
  "[train]\n"
  "epochs = 3\n"
  "batch_size = 64\n"
  "seed = 42\n"
  "checkpoint_every = 0\n"
  "eval_every = 2\n"
  "[dist]\n"
  "instance_groups = 4\n"
  "sample_groups : 2\n" /* inih also takes ':' */
  "; trailing comment without newline";

static void check_full_values(const pt_config *c) {
  check_string(c, "data.train", "/data/train set.h5");
  check_string(c, "data.test", "/data/test.h5");
  check_double(c, "data.test_fraction", 0.25);
  check_string(c, "synthetic.kind", "affine");
  check_int(c, "synthetic.n", 500);
  check_int(c, "synthetic.labels", 7);
  check_int(c, "synthetic.features", 3);
  check_double(c, "synthetic.sigma", 0.5);
  check_int(c, "synthetic.seed", INT64_C(4611686018427387904));
  check_string(c, "model.kind", "linear_scorer");
  check_double(c, "model.l2", 1e-4);
  check_string(c, "loss.kind", "perturbed_squared");
  check_double(c, "loss.epsilon", 0.05);
  check_int(c, "loss.samples", 100);
  check_string(c, "loss.noise", "gumbel");
  check_double(c, "loss.lambda", 2.5);
  check_string(c, "optim.kind", "sgd");
  check_double(c, "optim.lr", 0.1);
  check_double(c, "optim.momentum", 0.0);
  check_double(c, "optim.beta1", 0.5);
  check_double(c, "optim.beta2", 0.999999999);
  check_double(c, "optim.adam_eps", 1.0);
  check_int(c, "train.epochs", 3);
  check_int(c, "train.batch_size", 64);
  check_int(c, "train.seed", 42);
  check_int(c, "train.checkpoint_every", 0);
  check_int(c, "train.eval_every", 2);
  check_int(c, "dist.instance_groups", 4);
  check_int(c, "dist.sample_groups", 2);
}

/* Replaces every "\n" of text by "\r\n" (into buf). */
static void to_crlf(const char *text, char *buf, size_t size) {
  size_t n = 0;
  for (; *text && n + 3 < size; text++) {
    if (*text == '\n') buf[n++] = '\r';
    buf[n++] = *text;
  }
  buf[n] = '\0';
}

static void test_valid_files(void) {
  pt_config *c = NULL, *defaults = NULL;
  CHECK_OK(pt_config_alloc(&c));
  CHECK_OK(pt_config_alloc(&defaults));
  if (c == NULL || defaults == NULL) goto done;

  const char *path = write_temp(full_file);
  CHECK_OK(pt_config_load_file(c, path));
  check_full_values(c);

  /* the same text with CRLF line ends and a UTF-8 BOM, from a string */
  static char crlf[sizeof full_file * 2 + 8];
  memcpy(crlf, "\xEF\xBB\xBF", 3);
  to_crlf(full_file, crlf + 3, sizeof crlf - 3);
  pt_config *c2 = NULL;
  CHECK_OK(pt_config_alloc(&c2));
  CHECK_OK(pt_config_load_string(c2, crlf, "crlf.ini"));
  const char *diff = "unset";
  CHECK(pt_config_equal(c, c2, &diff), "CRLF + BOM gives the same configuration (first difference %s)",
        diff ? diff : "none");
  pt_config_free(&c2);

  /* lone CR line ends (old Mac files), and the three kinds mixed; issue #8 item 17 */
  static char cr[sizeof full_file + 8];
  snprintf(cr, sizeof cr, "%s", full_file);
  for (char *p = cr; *p; p++)
    if (*p == '\n') *p = '\r';
  CHECK_OK(pt_config_alloc(&c2));
  CHECK_OK(pt_config_load_string(c2, cr, "cr.ini"));
  CHECK(pt_config_equal(c, c2, &diff), "CR line ends give the same configuration (first difference %s)",
        diff ? diff : "none");
  CHECK_OK(pt_config_load_string(c2, "[loss]\r\nepsilon = 3\rsamples = 4\n\r\nlambda = 5", "mixed.ini"));
  check_double(c2, "loss.epsilon", 3.0);
  check_int(c2, "loss.samples", 4);
  check_double(c2, "loss.lambda", 5.0);
  pt_config_free(&c2);

  /* an empty file, and one with only comments and blank lines, keep every default */
  pt_config *e = NULL;
  CHECK_OK(pt_config_alloc(&e));
  CHECK_OK(pt_config_load_file(e, write_temp("")));
  CHECK(pt_config_equal(e, defaults, NULL), "an empty file keeps the defaults");
  CHECK_OK(pt_config_load_string(e, "\n; nothing\n# here\n\n   \n[loss]\n; still nothing\n", "comments.ini"));
  CHECK(pt_config_equal(e, defaults, NULL), "comments only keep the defaults");
  /* a section may appear twice as long as its keys do not */
  CHECK_OK(pt_config_load_string(e, "[loss]\nepsilon = 2\n[optim]\nlr = 1\n[loss]\nsamples = 3\n", "twice.ini"));
  check_double(e, "loss.epsilon", 2.0);
  check_int(e, "loss.samples", 3);
  /* loading is key by key: a second text changes only what it names */
  CHECK_OK(pt_config_load_string(e, "[loss]\nepsilon = 4\n", "second.ini"));
  check_double(e, "loss.epsilon", 4.0);
  check_int(e, "loss.samples", 3);
  /* an empty string value */
  CHECK_OK(pt_config_load_string(e, "[data]\ntrain = x.h5\n", "a.ini"));
  CHECK_OK(pt_config_load_string(e, "[data]\ntrain =\n", "b.ini"));
  check_string(e, "data.train", "");
  /* integers and doubles in other spellings */
  CHECK_OK(pt_config_load_string(e, "[loss]\nsamples = +7\nepsilon = 0x1p-3\nlambda = 1E3\n", "spell.ini"));
  check_int(e, "loss.samples", 7);
  check_double(e, "loss.epsilon", 0.125);
  check_double(e, "loss.lambda", 1000.0);
  pt_config_free(&e);
done:
  pt_config_free(&c);
  pt_config_free(&defaults);
}

/* ------------------------------------------------------------------------ */
/* Overrides                                                                 */

static void test_overrides(void) {
  pt_config *c = NULL;
  CHECK_OK(pt_config_alloc(&c));
  if (c == NULL) return;
  CHECK_OK(pt_config_set(c, "data.train=/scratch/my run/train.h5"));
  check_string(c, "data.train", "/scratch/my run/train.h5");
  CHECK_OK(pt_config_set(c, "data.test =  a=b:c#d.h5  ")); /* only the first '=' splits */
  check_string(c, "data.test", "a=b:c#d.h5");
  CHECK_OK(pt_config_set(c, "data.test="));
  check_string(c, "data.test", "");
  CHECK_OK(pt_config_set(c, "loss.samples=20"));
  check_int(c, "loss.samples", 20);
  CHECK_OK(pt_config_set(c, "  train.seed = 4611686018427387904 "));
  check_int(c, "train.seed", INT64_C(4611686018427387904));
  CHECK_OK(pt_config_set(c, "loss.epsilon = 0.5"));
  check_double(c, "loss.epsilon", 0.5);
  CHECK_OK(pt_config_set(c, "data.test_fraction=0.9")); /* inclusive bounds */
  check_double(c, "data.test_fraction", 0.9);
  CHECK_OK(pt_config_set(c, "data.test_fraction=0.01"));
  check_double(c, "data.test_fraction", 0.01);
  CHECK_OK(pt_config_set(c, "loss.kind=blackbox"));
  check_string(c, "loss.kind", "blackbox");
  CHECK_OK(pt_config_set(c, "optim.kind = sgd"));
  check_string(c, "optim.kind", "sgd");

  /* malformed overrides */
  const char *const malformed[] = {"loss_epsilon=1", "loss.epsilon", ".epsilon=1", "loss.=1", "=1", "", "   = "};
  for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
    char want[128];
    snprintf(want, sizeof want, "override '%s': expected section.key=value", malformed[i]);
    CHECK_FAILS(pt_config_set(c, malformed[i]), PT_ECONFIG);
    CHECK_MESSAGE(want);
  }
  /* unknown names and bad values; the value stays as it was */
  CHECK_FAILS(pt_config_set(c, "loss.epsilon=-1"), PT_ECONFIG);
  CHECK_MESSAGE("override 'loss.epsilon=-1': loss.epsilon must be > 0 (got -1)");
  CHECK_FAILS(pt_config_set(c, "loss.epsilon=0"), PT_ECONFIG);
  CHECK_MESSAGE("override 'loss.epsilon=0': loss.epsilon must be > 0 (got 0)");
  CHECK_FAILS(pt_config_set(c, "loss.epsilon=2e12"), PT_ECONFIG);
  CHECK_MESSAGE("override 'loss.epsilon=2e12': loss.epsilon must be <= 1e+12 (got 2e12)");
  CHECK_FAILS(pt_config_set(c, "loss.epsilon=nan"), PT_ECONFIG);
  CHECK_MESSAGE("override 'loss.epsilon=nan': loss.epsilon must be a finite number (got 'nan')");
  CHECK_FAILS(pt_config_set(c, "loss.epsilon=inf"), PT_ECONFIG);
  CHECK_FAILS(pt_config_set(c, "loss.epsilon=1e400"), PT_ECONFIG);
  CHECK_FAILS(pt_config_set(c, "loss.epsilon=0.5x"), PT_ECONFIG);
  CHECK_MESSAGE("override 'loss.epsilon=0.5x': loss.epsilon must be a finite number (got '0.5x')");
  CHECK_FAILS(pt_config_set(c, "data.test_fraction=0.009"), PT_ECONFIG);
  CHECK_MESSAGE("override 'data.test_fraction=0.009': data.test_fraction must be >= 0.01 (got 0.009)");
  CHECK_FAILS(pt_config_set(c, "optim.beta2=0.9999999991"), PT_ECONFIG);
  CHECK_MESSAGE("override 'optim.beta2=0.9999999991': optim.beta2 must be <= 0.999999999 (got 0.9999999991)");
  check_double(c, "loss.epsilon", 0.5);
  check_double(c, "data.test_fraction", 0.01);
  CHECK_FAILS(pt_config_set(c, "loss.samples=ten"), PT_ECONFIG);
  CHECK_MESSAGE("override 'loss.samples=ten': loss.samples must be an integer in 1..1000000000 (got 'ten')");
  CHECK_FAILS(pt_config_set(c, "loss.samples=0"), PT_ECONFIG);
  CHECK_MESSAGE("override 'loss.samples=0': loss.samples must be an integer in 1..1000000000 (got 0)");
  CHECK_FAILS(pt_config_set(c, "loss.samples=1.5"), PT_ECONFIG);
  CHECK_FAILS(pt_config_set(c, "loss.samples=1e3"), PT_ECONFIG);
  CHECK_FAILS(pt_config_set(c, "loss.samples=0x10"), PT_ECONFIG);
  CHECK_FAILS(pt_config_set(c, "loss.samples="), PT_ECONFIG);
  CHECK_MESSAGE("override 'loss.samples=': loss.samples must be an integer in 1..1000000000 (got '')");
  CHECK_FAILS(pt_config_set(c, "train.seed=99999999999999999999"), PT_ECONFIG);
  CHECK_MESSAGE("override 'train.seed=99999999999999999999': train.seed must be an integer in "
                "0..4611686018427387904 (got 99999999999999999999)");
  CHECK_FAILS(pt_config_set(c, "train.seed=4611686018427387905"), PT_ECONFIG);
  CHECK_FAILS(pt_config_set(c, "train.seed=-1"), PT_ECONFIG);
  check_int(c, "loss.samples", 20);
  CHECK_FAILS(pt_config_set(c, "loss.kind=fyy"), PT_ECONFIG);
  CHECK_MESSAGE("override 'loss.kind=fyy': loss.kind must be one of "
                "fy|perturbed_squared|squared|blackbox|ridge|cross_entropy|spo_plus|cost_squared (got 'fyy')");
  CHECK_FAILS(pt_config_set(c, "loss.kind=FY"), PT_ECONFIG); /* exact match */
  CHECK_FAILS(pt_config_set(c, "loss.kind=f"), PT_ECONFIG);  /* no prefixes */
  CHECK_FAILS(pt_config_set(c, "loss.kind=fy|squared"), PT_ECONFIG);
  check_string(c, "loss.kind", "blackbox");
  CHECK_FAILS(pt_config_set(c, "los.epsilon=1"), PT_ECONFIG);
  CHECK_MESSAGE("override 'los.epsilon=1': unknown section [los] (known: data, synthetic, task, model, loss, optim, "
                "train, dist)");
  CHECK_FAILS(pt_config_set(c, "loss.epsilonn=1"), PT_ECONFIG);
  CHECK_MESSAGE("override 'loss.epsilonn=1': unknown key 'epsilonn' in section [loss] (known: kind, epsilon, "
                "samples, noise, perturbation, lambda)");
  /* strings that an INI file could not give back are refused */
  CHECK_FAILS_MSG2(pt_config_set(c, "data.train=a ;b"), PT_ECONFIG, "data.train", "comment");
  CHECK_FAILS_MSG2(pt_config_set(c, "data.train=;b"), PT_ECONFIG, "data.train", "comment");
  CHECK_FAILS_MSG2(pt_config_set(c, "data.train=a\nb"), PT_ECONFIG, "data.train", "control character 0x0a");
  CHECK(strchr(pt_last_error(), '\n') == NULL, "the message stays on one line: '%s'", pt_last_error());
  CHECK_OK(pt_config_set(c, "data.train=a;b")); /* ';' without a space before it is text */
  check_string(c, "data.train", "a;b");
  char long_value[4200];
  memset(long_value, 'x', sizeof long_value - 1);
  long_value[sizeof long_value - 1] = '\0';
  memcpy(long_value, "data.train=", 11);
  CHECK_FAILS_MSG2(pt_config_set(c, long_value), PT_ECONFIG, "data.train is too long", "override 'data.train=xx");
  check_string(c, "data.train", "a;b");
  pt_config_free(&c);
}

/* ------------------------------------------------------------------------ */
/* Round trip and comparison                                                 */

static void test_round_trip(void) {
  pt_config *a = NULL, *b = NULL;
  CHECK_OK(pt_config_alloc(&a));
  CHECK_OK(pt_config_alloc(&b));
  if (a == NULL || b == NULL) goto done;
  const char *const sets[] = {
    "data.train = /path with spaces/and\ttab;semi=eq:colon#hash [x].h5",
    "data.test_fraction = 0.30000000000000004",
    "synthetic.sigma = 0.1",
    "synthetic.seed = 4611686018427387904",
    "model.l2 = 1e-300",
    "loss.epsilon = 4.9406564584124654e-324", /* the smallest subnormal */
    "loss.lambda = 123456789.123456789",
    "optim.lr = 999999.99999999988",
    "optim.beta2 = 0.999999999",
    "optim.momentum = 0.1",
    "optim.adam_eps = 2.2250738585072014e-308",
    "synthetic.kind = affine",
    "train.seed = 0",
  };
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) CHECK_OK(pt_config_set(a, sets[i]));
  char *text = NULL, *again = NULL;
  CHECK_OK(pt_config_to_ini(a, &text));
  if (text == NULL) goto done;
  CHECK(strstr(text, "[loss]\n") != NULL && strstr(text, "\nepsilon = ") != NULL, "INI text has sections and keys");
  CHECK(strstr(text, "synthetic.sigma") == NULL && strstr(text, "sigma = 0.1\n") != NULL,
        "0.1 is written as 0.1:\n%s", text);
  CHECK_OK(pt_config_load_string(b, text, "roundtrip.ini"));
  const char *diff = "unset";
  CHECK(pt_config_equal(a, b, &diff), "to_ini -> load_string is equal (first difference %s)\n%s",
        diff ? diff : "none", text);
  CHECK(diff == NULL, "no first difference when equal");
  check_double(b, "data.test_fraction", 0.30000000000000004);
  check_double(b, "model.l2", 1e-300);
  check_double(b, "loss.epsilon", 4.9406564584124654e-324);
  check_double(b, "loss.lambda", 123456789.123456789);
  check_double(b, "optim.adam_eps", 2.2250738585072014e-308);
  check_string(b, "data.train", "/path with spaces/and\ttab;semi=eq:colon#hash [x].h5");
  CHECK_OK(pt_config_to_ini(b, &again));
  CHECK(again != NULL && strcmp(text, again) == 0, "writing again gives the same text");
  free(again);
  /* one line per key plus one header per section */
  size_t lines = 0, headers = 0;
  for (const char *p = text; *p; p++) {
    lines += *p == '\n';
    headers += *p == '[' && (p == text || p[-1] == '\n');
  }
  CHECK(headers == 8 && lines == NKEYS + 2 * 8 - 1, "%zu lines, %zu section headers:\n%s", lines, headers, text);
  free(text);
  /* defaults round-trip too */
  pt_config *d1 = NULL, *d2 = NULL;
  CHECK_OK(pt_config_alloc(&d1));
  CHECK_OK(pt_config_alloc(&d2));
  CHECK_OK(pt_config_set(d2, "loss.epsilon=123"));
  CHECK_OK(pt_config_to_ini(d1, &text));
  if (text != NULL) CHECK_OK(pt_config_load_string(d2, text, "defaults.ini"));
  CHECK(pt_config_equal(d1, d2, NULL), "defaults round-trip");
  free(text);
  pt_config_free(&d1);
  pt_config_free(&d2);
done:
  pt_config_free(&a);
  pt_config_free(&b);
}

static void test_equal(void) {
  pt_config *a = NULL, *b = NULL;
  CHECK_OK(pt_config_alloc(&a));
  CHECK_OK(pt_config_alloc(&b));
  if (a == NULL || b == NULL) goto done;
  const char *diff = "unset";
  CHECK(pt_config_equal(a, b, &diff) && diff == NULL, "fresh configurations are equal");
  CHECK(pt_config_equal(a, a, NULL), "equal to itself");
  CHECK_OK(pt_config_set(b, "optim.lr=0.02"));
  CHECK_OK(pt_config_set(b, "synthetic.n=3"));
  CHECK(!pt_config_equal(a, b, &diff) && diff != NULL && strcmp(diff, "synthetic.n") == 0,
        "first difference is synthetic.n (got %s)", diff ? diff : "NULL");
  CHECK(!pt_config_equal(b, a, NULL), "unequal without first_difference");
  CHECK_OK(pt_config_set(b, "synthetic.n=2000"));
  CHECK(!pt_config_equal(a, b, &diff) && diff != NULL && strcmp(diff, "optim.lr") == 0, "then optim.lr (got %s)",
        diff ? diff : "NULL");
  CHECK_OK(pt_config_set(b, "optim.lr=0.01"));
  CHECK_OK(pt_config_set(b, "data.train=x"));
  CHECK(!pt_config_equal(a, b, &diff) && diff != NULL && strcmp(diff, "data.train") == 0, "strings compared (got %s)",
        diff ? diff : "NULL");
  CHECK_OK(pt_config_set(b, "data.train="));
  CHECK_OK(pt_config_set(b, "loss.kind=squared"));
  CHECK(!pt_config_equal(a, b, &diff) && diff != NULL && strcmp(diff, "loss.kind") == 0, "choices compared (got %s)",
        diff ? diff : "NULL");
  CHECK_OK(pt_config_set(b, "loss.kind=fy"));
  CHECK_OK(pt_config_set(b, "optim.lr=0.010000000000000002")); /* next double after 0.01 */
  CHECK(!pt_config_equal(a, b, &diff) && diff != NULL && strcmp(diff, "optim.lr") == 0, "one ulp differs (got %s)",
        diff ? diff : "NULL");
  CHECK_OK(pt_config_set(b, "optim.lr=1e-2"));
  CHECK(pt_config_equal(a, b, &diff) && diff == NULL, "equal again");
  CHECK(pt_config_equal(NULL, NULL, &diff), "NULL equals NULL");
  CHECK(!pt_config_equal(a, NULL, &diff) && diff == NULL, "a configuration differs from NULL");
  CHECK(!pt_config_equal(NULL, b, NULL), "NULL differs from a configuration");
done:
  pt_config_free(&a);
  pt_config_free(&b);
}

/* ------------------------------------------------------------------------ */
/* Bad input                                                                 */

/* Loading text as "config.ini" fails with `status` and exactly `message`. */
static void load_fails(const char *text, pt_status status, const char *message, int line) {
  pt_config *c = NULL;
  CHECK_OK(pt_config_alloc(&c));
  if (c == NULL) return;
  pt_clear_error();
  const pt_status got = pt_config_load_string(c, text, "config.ini");
  pt_test_check(got == status && strcmp(pt_last_error(), message) == 0, __FILE__, line,
                "load -> %s (wanted %s), message\n    '%s'\n  wanted\n    '%s'", pt_strerror(got),
                pt_strerror(status), pt_last_error(), message);
  pt_config_free(&c);
}
#define LOAD_FAILS(text, status, message) load_fails((text), (status), (message), __LINE__)

static void test_load_errors(void) {
  LOAD_FAILS("[loss]\nkind = fy\nepsilon = 1\n; comment\n\nsamples = 3\nepsilonn = 2\n", PT_ECONFIG,
             "config.ini:7: unknown key 'epsilonn' in section [loss] (known: kind, epsilon, samples, noise, perturbation, lambda)");
  LOAD_FAILS("; header\n\n[los]\nepsilon = 1\n", PT_ECONFIG,
             "config.ini:3: unknown section [los] (known: data, synthetic, task, model, loss, optim, train, dist)");
  LOAD_FAILS("[optim]\nlr = 1\n[los]\n", PT_ECONFIG, /* an unknown section without keys */
             "config.ini:3: unknown section [los] (known: data, synthetic, task, model, loss, optim, train, dist)");
  LOAD_FAILS("[ loss ]\n", PT_ECONFIG,
             "config.ini:1: unknown section [ loss ] (known: data, synthetic, task, model, loss, optim, train, dist)");
  LOAD_FAILS("[]\n", PT_ECONFIG,
             "config.ini:1: unknown section [] (known: data, synthetic, task, model, loss, optim, train, dist)");
  LOAD_FAILS("[loss]\n\n\n\n\n\n\n\nepsilon = 0\n", PT_ECONFIG, "config.ini:9: loss.epsilon must be > 0 (got 0)");
  LOAD_FAILS("[loss]\nkind = fy\n\nsamples = ten\n", PT_ECONFIG,
             "config.ini:4: loss.samples must be an integer in 1..1000000000 (got 'ten')");
  LOAD_FAILS("[loss]\nsamples = 10 # a hash is no inline comment\n", PT_ECONFIG,
             "config.ini:2: loss.samples must be an integer in 1..1000000000 (got '10 # a hash is no inline comment')");
  LOAD_FAILS("[loss]\nsamples = 2000000000\n", PT_ECONFIG,
             "config.ini:2: loss.samples must be an integer in 1..1000000000 (got 2000000000)");
  LOAD_FAILS("\n\n\n[loss]\nkind = fyy\n", PT_ECONFIG,
             "config.ini:5: loss.kind must be one of fy|perturbed_squared|squared|blackbox|ridge|cross_entropy|spo_plus|cost_squared (got 'fyy')");
  LOAD_FAILS("[loss]\nkind = fy\nsamples = 3\nepsilon = 1\n[optim]\nlr = 1\n[loss]\nepsilon = 2\n", PT_ECONFIG,
             "config.ini:8: key 'epsilon' given twice in section [loss] (first on line 4)");
  LOAD_FAILS("[loss]\nepsilon = 1\nepsilon = 1\n", PT_ECONFIG,
             "config.ini:3: key 'epsilon' given twice in section [loss] (first on line 2)");
  LOAD_FAILS("; no section yet\nepsilon = 1\n[loss]\n", PT_ECONFIG,
             "config.ini:2: key 'epsilon' is outside any section (put it after a [section] header)");
  LOAD_FAILS("[loss]\nkind = fy\nepsilon\n", PT_ECONFIG,
             "config.ini:3: syntax error: expected 'key = value', '[section]' or a comment (got 'epsilon')");
  LOAD_FAILS("[loss]\nkind = fy\n[optim\nlr = 1\n", PT_ECONFIG,
             "config.ini:3: syntax error: section header '[optim' has no closing ']'");
  LOAD_FAILS("[loss] samples = 3\n", PT_ECONFIG,
             "config.ini:1: unexpected text 'samples = 3' after the section header [loss]");
  LOAD_FAILS("[loss]\nkind = fy\n   epsilon = 2\n", PT_ECONFIG,
             "config.ini:3: indented line 'epsilon = 2' would continue the value of loss.kind: multi-line values "
             "are not supported (remove the indentation)");
  LOAD_FAILS("[loss]\nepsilon = abc\n", PT_ECONFIG, "config.ini:2: loss.epsilon must be a finite number (got 'abc')");
  LOAD_FAILS("[loss]\nlambda = 1e13\n", PT_ECONFIG, "config.ini:2: loss.lambda must be <= 1e+12 (got 1e13)");
  LOAD_FAILS("[optim]\nadam_eps = 0\n", PT_ECONFIG, "config.ini:2: optim.adam_eps must be > 0 (got 0)");
  LOAD_FAILS("[optim]\nmomentum = -0.1\n", PT_ECONFIG, "config.ini:2: optim.momentum must be >= 0 (got -0.1)");
  LOAD_FAILS("[optim]\nmomentum = 1\n", PT_ECONFIG, "config.ini:2: optim.momentum must be <= 0.999999 (got 1)");
  LOAD_FAILS("[train]\nepochs = 0\n", PT_ECONFIG,
             "config.ini:2: train.epochs must be an integer in 1..1000000 (got 0)");
  LOAD_FAILS("[model]\nkind = \n", PT_ECONFIG,
             "config.ini:2: model.kind must be one of auto|linear_scorer|affine|mlp|cnn (got '')");

  /* paths up to the system's limit (PATH_MAX - 1 = 4095 characters) load and
   * round-trip, in a file and as an override; issue #8 item 17 */
  static char longest[2 * 4096 + 64];
  pt_config *c1 = NULL, *c2 = NULL;
  CHECK_OK(pt_config_alloc(&c1));
  CHECK_OK(pt_config_alloc(&c2));
  const int lengths[] = {190, 300, 4095};
  for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
    snprintf(longest, sizeof longest, "[data]\ntrain = %0*d\n", lengths[k], 0);
    CHECK_OK(pt_config_load_string(c1, longest, "longest.ini"));
    const char *got = NULL;
    CHECK_OK(pt_config_get_string(c1, "data.train", &got));
    CHECK(got != NULL && strlen(got) == (size_t)lengths[k], "a %d-character path loads whole", lengths[k]);
    char *text = NULL;
    CHECK_OK(pt_config_to_ini(c1, &text));
    if (text != NULL) CHECK_OK(pt_config_load_string(c2, text, "longest-again.ini"));
    CHECK(pt_config_equal(c1, c2, NULL), "a %d-character path round-trips", lengths[k]);
    free(text);
    snprintf(longest, sizeof longest, "data.test=%0*d", lengths[k], 0);
    CHECK_OK(pt_config_set(c1, longest));
  }
  snprintf(longest, sizeof longest, "data.train=%04096d", 0);
  CHECK_FAILS_MSG(pt_config_set(c1, longest), PT_ECONFIG,
                  "data.train is too long (4096 characters; at most 4095, the longest path the system allows)");
  snprintf(longest, sizeof longest, "[data]\ntrain = %04096d\n", 0);
  LOAD_FAILS(longest, PT_ECONFIG,
             "config.ini:2: data.train is too long (4096 characters; at most 4095, the longest path the system allows)");
  /* a line longer than the reader's buffer is refused, not split */
  snprintf(longest, sizeof longest, "[data]\n; %08200d\n", 0);
  LOAD_FAILS(longest, PT_ECONFIG, "config.ini:2: line is too long (8202 characters; at most 8189)");
  pt_config_free(&c1);
  pt_config_free(&c2);

  /* the first error wins, whichever kind it is */
  LOAD_FAILS("[loss]\nbogus\nepsilon = 0\n", PT_ECONFIG,
             "config.ini:2: syntax error: expected 'key = value', '[section]' or a comment (got 'bogus')");
  LOAD_FAILS("[loss]\nepsilon = 0\nbogus\n", PT_ECONFIG, "config.ini:2: loss.epsilon must be > 0 (got 0)");

  /* values read before the error are kept, and nothing after it */
  pt_config *c = NULL;
  CHECK_OK(pt_config_alloc(&c));
  if (c != NULL) {
    CHECK_FAILS_MSG(pt_config_load_string(c, "[loss]\nepsilon = 0.5\nsamples = 0\nlambda = 3\n", "partial.ini"),
                    PT_ECONFIG, "partial.ini:3: loss.samples");
    check_double(c, "loss.epsilon", 0.5);
    check_int(c, "loss.samples", 10);
    check_double(c, "loss.lambda", 10.0);
    CHECK_FAILS_MSG(pt_config_load_string(c, "[optim]\nlr = 0.5\nnonsense\nbeta1 = 0.3\n", "syntax.ini"), PT_ECONFIG,
                    "syntax.ini:3: syntax error");
    check_double(c, "optim.lr", 0.5);
    check_double(c, "optim.beta1", 0.9);
    /* after a failure the object still loads */
    CHECK_OK(pt_config_load_string(c, "[loss]\nsamples = 4\n", "ok.ini"));
    check_int(c, "loss.samples", 4);
  }
  pt_config_free(&c);
}

static void test_file_errors(void) {
  pt_config *c = NULL;
  CHECK_OK(pt_config_alloc(&c));
  if (c == NULL) return;
  /* an error in a file names the file's path and the line */
  const char *path = write_temp("[loss]\n\nepsilon = -2\n");
  char where[96];
  snprintf(where, sizeof where, "%s:3: ", path);
  CHECK_FAILS_MSG2(pt_config_load_file(c, path), PT_ECONFIG, where, "loss.epsilon must be > 0 (got -2)");
  /* unreadable paths are PT_EIO naming the path */
  CHECK_FAILS_MSG2(pt_config_load_file(c, "/nonexistent/dir/config.ini"), PT_EIO, "'/nonexistent/dir/config.ini'",
                   "No such file or directory");
  CHECK_FAILS_MSG2(pt_config_load_file(c, "/tmp"), PT_EIO, "'/tmp'", "Is a directory");
  CHECK_FAILS_MSG(pt_config_load_file(c, ""), PT_EIO, "''");
  /* a binary file */
  const char *binary = write_temp_bytes("[loss]\nepsilon = 1\n\0\x01\x02", 22);
  snprintf(where, sizeof where, "%s:3: ", binary);
  CHECK_FAILS_MSG2(pt_config_load_file(c, binary), PT_ECONFIG, where, "NUL byte");
  check_double(c, "loss.epsilon", 1.0);
  /* a huge file (here 17 MiB of blank lines) is refused, not read into memory whole */
  const size_t huge_len = (size_t)17 << 20;
  char *huge = malloc(huge_len);
  if (huge != NULL) {
    memset(huge, '\n', huge_len);
    const char *huge_path = write_temp_bytes(huge, huge_len);
    free(huge);
    CHECK_FAILS_MSG2(pt_config_load_file(c, huge_path), PT_ECONFIG, huge_path, "not a configuration file");
  }
  pt_config_free(&c);
}

static void test_null_arguments(void) {
  pt_config *c = NULL;
  CHECK_FAILS_MSG(pt_config_alloc(NULL), PT_EFAULT, "pt_config_alloc");
  CHECK_OK(pt_config_alloc(&c));
  const char *s;
  int64_t i;
  double d;
  int b;
  char dummy[] = "untouched", *text = dummy;
  CHECK_FAILS_MSG2(pt_config_load_file(NULL, "x.ini"), PT_EFAULT, "pt_config_load_file", "'c'");
  CHECK_FAILS_MSG2(pt_config_load_file(c, NULL), PT_EFAULT, "pt_config_load_file", "'path'");
  CHECK_FAILS_MSG2(pt_config_load_string(NULL, "", "o"), PT_EFAULT, "pt_config_load_string", "'c'");
  CHECK_FAILS_MSG2(pt_config_load_string(c, NULL, "o"), PT_EFAULT, "pt_config_load_string", "'text'");
  CHECK_FAILS_MSG2(pt_config_load_string(c, "", NULL), PT_EFAULT, "pt_config_load_string", "'origin'");
  CHECK_FAILS_MSG2(pt_config_set(NULL, "loss.epsilon=1"), PT_EFAULT, "pt_config_set", "'c'");
  CHECK_FAILS_MSG2(pt_config_set(c, NULL), PT_EFAULT, "pt_config_set", "'assignment'");
  CHECK_FAILS(pt_config_get_string(NULL, "data.train", &s), PT_EFAULT);
  CHECK_FAILS(pt_config_get_string(c, NULL, &s), PT_EFAULT);
  CHECK_FAILS(pt_config_get_string(c, "data.train", NULL), PT_EFAULT);
  CHECK_FAILS(pt_config_get_int(NULL, "loss.samples", &i), PT_EFAULT);
  CHECK_FAILS(pt_config_get_int(c, NULL, &i), PT_EFAULT);
  CHECK_FAILS(pt_config_get_int(c, "loss.samples", NULL), PT_EFAULT);
  CHECK_FAILS(pt_config_get_double(NULL, "loss.epsilon", &d), PT_EFAULT);
  CHECK_FAILS(pt_config_get_double(c, NULL, &d), PT_EFAULT);
  CHECK_FAILS(pt_config_get_double(c, "loss.epsilon", NULL), PT_EFAULT);
  CHECK_FAILS(pt_config_get_bool(NULL, "loss.epsilon", &b), PT_EFAULT);
  CHECK_FAILS(pt_config_get_bool(c, NULL, &b), PT_EFAULT);
  CHECK_FAILS(pt_config_get_bool(c, "loss.epsilon", NULL), PT_EFAULT);
  CHECK_FAILS(pt_config_to_ini(NULL, &text), PT_EFAULT);
  CHECK(text == NULL, "failed to_ini clears *text");
  CHECK_FAILS(pt_config_to_ini(c, NULL), PT_EFAULT);
  pt_config_free(&c);
}

/* ------------------------------------------------------------------------ */
/* Rules between keys, keys given twice, escaped messages (issue #8 items 4, 17) */

/* Loads `text` as "run.ini", applies the overrides, checks the rules: fails
 * with exactly `message` (NULL: succeeds). */
static void rules_case(const char *text, const char *o1, const char *o2, const char *message, int line) {
  pt_config *c = NULL;
  CHECK_OK(pt_config_alloc(&c));
  if (c == NULL) return;
  char *overrides[2] = {(char *)o1, (char *)o2};
  pt_clear_error();
  pt_status st = pt_config_load_string(c, text, "run.ini");
  if (st == PT_OK) st = pt_config_set_overrides(c, overrides, o2 ? 2 : o1 ? 1 : 0);
  if (st == PT_OK) st = pt_config_check(c);
  if (message == NULL)
    pt_test_check(st == PT_OK, __FILE__, line, "rules pass: %s", pt_last_error());
  else
    pt_test_check(st == PT_ECONFIG && strcmp(pt_last_error(), message) == 0, __FILE__, line,
                  "-> %s, message\n    '%s'\n  wanted\n    '%s'", pt_strerror(st), pt_last_error(), message);
  pt_config_free(&c);
}
#define RULES(text, o1, o2, message) rules_case((text), (o1), (o2), (message), __LINE__)

static void test_rules(void) {
  RULES("[data]\nfold = 2\n", NULL, NULL,
        "data.fold (run.ini:2) needs data.folds, which is not set: data.fold picks the test fold among data.folds "
        "folds");
  RULES("[data]\nfolds = 0\n", "data.fold=1", NULL,
        "data.fold (command line) needs data.folds, which is off: data.fold picks the test fold among data.folds "
        "folds");
  RULES("", "data.inner_folds=3", NULL,
        "data.inner_folds (command line) needs data.folds, which is not set: nested cross-validation splits the "
        "outer training part");
  RULES("[data]\nfolds = 5\ninner_fold = -1\n", NULL, NULL,
        "data.inner_fold (run.ini:3) needs data.inner_folds, which is not set: data.inner_fold picks the validation "
        "fold among data.inner_folds folds");
  RULES("[data]\n\ntest = t.h5\n", "data.folds=4", NULL,
        "data.test (run.ini:3) and data.folds (command line) exclude each other: cross-validation tests on a fold, "
        "not on a test file");
  RULES("[data]\ntest_fraction = 0.3\ntest = t.h5\n", NULL, NULL,
        "data.test_fraction (run.ini:2) and data.test (run.ini:3) exclude each other: with a test file nothing is "
        "split off");
  RULES("[data]\nfolds = 3\n", "data.test_fraction=0.5", NULL,
        "data.test_fraction (command line) and data.folds (run.ini:2) exclude each other: cross-validation splits "
        "into folds, not by a fraction");
  RULES("[data]\ntrain = a.h5\n", "data.dataset=iris", NULL,
        "data.train (run.ini:2) and data.dataset (command line) exclude each other: give one source of training "
        "data");
  /* what is consistent passes: defaults take part in no rule, 0 and "" are off */
  RULES("", NULL, NULL, NULL);
  RULES("[data]\nfolds = 10\ninner_folds = 5\ninner_fold = -1\nfold = 3\n", NULL, NULL, NULL);
  RULES("[data]\nfolds = 0\ntest = t.h5\ntrain = a.h5\ndataset =\n", NULL, NULL, NULL);
  RULES("[data]\ntest_fraction = 0.3\ninner_folds = 0\n", "data.test=", NULL, NULL);
  /* a key given twice on the command line names both overrides */
  RULES("", "loss.epsilon=1", "loss.epsilon = 2",
        "override 'loss.epsilon = 2' sets loss.epsilon again (first set by 'loss.epsilon=1'): give each key once");
  RULES("[loss]\nepsilon = 3\n", "loss.epsilon=1", "loss.samples=2", NULL); /* a file and an override: fine */

  /* a copy keeps the values and where each key was set */
  pt_config *orig = NULL, *copy = NULL;
  CHECK_OK(pt_config_alloc(&orig));
  if (orig != NULL) {
    CHECK_OK(pt_config_load_string(orig, "[data]\nfold = 2\ntrain = a.h5\n", "orig.ini"));
    CHECK_OK(pt_config_copy(orig, &copy));
    CHECK(copy != NULL && pt_config_equal(orig, copy, NULL), "the copy holds the same values");
    if (copy != NULL) CHECK_FAILS_MSG(pt_config_check(copy), PT_ECONFIG, "data.fold (orig.ini:2) needs data.folds");
  }
  pt_config_free(&orig);
  pt_config_free(&copy);

  /* control bytes in user text are escaped, long text is cut with "…" */
  LOAD_FAILS("[loss]\nkind = fy\x1b[31m\n", PT_ECONFIG,
             "config.ini:2: loss.kind must be one of fy|perturbed_squared|squared|blackbox|ridge|cross_entropy|spo_plus|cost_squared (got 'fy\\x1b[31m')");
  LOAD_FAILS("[loss]\nepsi\x07lon = 1\n", PT_ECONFIG,
             "config.ini:2: unknown key 'epsi\\x07lon' in section [loss] (known: kind, epsilon, samples, noise, perturbation, lambda)");
  pt_config *c = NULL;
  CHECK_OK(pt_config_alloc(&c));
  if (c == NULL) return;
  CHECK_FAILS_MSG(pt_config_set(c, "loss.kind=fy\r\x1b[2K"), PT_ECONFIG, "(got 'fy\\r\\x1b[2K')");
  char longer[400];
  snprintf(longer, sizeof longer, "loss.kind=%0300d", 0);
  CHECK_FAILS_MSG(pt_config_set(c, longer), PT_ECONFIG, "\xE2\x80\xA6");
  CHECK(strlen(pt_last_error()) < 500, "a 300-character value (twice in the message) is cut (%zu bytes)",
        strlen(pt_last_error()));
  CHECK_FAILS_MSG(pt_config_load_file(c, "no\x1bsuch.ini"), PT_EIO, "'no\\x1bsuch.ini'");
  pt_config_free(&c);
}

int main(void) {
  test_schema();
  test_defaults();
  test_valid_files();
  test_overrides();
  test_round_trip();
  test_equal();
  test_load_errors();
  test_rules();
  test_file_errors();
  test_null_arguments();
  remove_temps();
  return pt_test_finish("test_config");
}
