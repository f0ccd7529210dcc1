/* config.c: typed configuration values, INI loading through inih, overrides,
 * INI output and comparison. */
#define _POSIX_C_SOURCE 200809L /* strerror_r (the XSI one: thread-safe) */

#include "perturb/config.h"
#include "config/config_impl.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "check.h"
#include "text.h"
#include "io/files.h"

/* Defined in config_schema.c, next to the table it names. */

/* inih reads each line into a buffer that must also hold "\r\n\0"; a longer
 * line would be split and its tail parsed as a new line, so longer lines are
 * refused. Debian's build reads into INI_MAX_LINE = 200 bytes on the stack,
 * which would cap a path at 189 characters; its run-time settings give a heap
 * buffer of LINE_BUFFER bytes instead (set before every parse), room for a key
 * and any path the system allows. */
enum { LINE_BUFFER = 2 * PATH_MAX, MAX_LINE = LINE_BUFFER - 3 };

/* String values are paths (or names): at most PATH_MAX - 1 characters, which
 * pt_config_to_ini() writes on a line that loads back. */
enum { MAX_STRING = PATH_MAX - 1 };

/* A configuration file is a few dozen short lines; anything this large is the
 * wrong file (a dataset, say) and is refused before it fills memory. */
#define MAX_FILE_BYTES ((size_t)16 << 20)

/* Sizes of the message pieces: an explanation naming section.key, and user
 * text echoed into it. pt_error() truncates the whole at 1023 bytes anyway. */
enum { WHY_SIZE = 640, SHOWN_SIZE = PT_SHOWN_VALUE, LIST_SIZE = 256 };

typedef union config_value {
  int64_t i; /* INT */
  double d;  /* DOUBLE */
  int b;     /* BOOL: 0 or 1 */
  char *s;   /* STRING and CHOICE: owned copy */
} config_value;

struct pt_config {
  size_t count;          /* rows of the schema */
  char **where;          /* per row: where it was set ("file:line" or "command line"), NULL: default */
  config_value values[]; /* one per row, in schema order */
};

static size_t schema_count(void) {
  const pt_config_key *k = pt_config_schema();
  size_t n = 0;
  while (k[n].section != NULL) n++;
  return n;
}

static int holds_string(pt_config_type type) { return type == PT_CONFIG_STRING || type == PT_CONFIG_CHOICE; }

static const char *type_name(pt_config_type type) {
  switch (type) {
  case PT_CONFIG_STRING: return "a string";
  case PT_CONFIG_INT: return "an integer";
  case PT_CONFIG_DOUBLE: return "a double";
  case PT_CONFIG_CHOICE: return "a choice";
  case PT_CONFIG_BOOL: return "a boolean";
  }
  return "of unknown type";
}

/* ------------------------------------------------------------------------ */
/* Small text helpers                                                        */

/* Appends s to the NUL-terminated buf, truncating at its size. */
static void append(char *buf, size_t size, const char *s) {
  const size_t used = strlen(buf);
  if (used + 1 >= size) return;
  snprintf(buf + used, size - used, "%s", s);
}

/* Whitespace-trimmed view [*begin, *end) of [text, text + len). */
static void trim(const char *text, size_t len, const char **begin, const char **end) {
  const char *b = text, *e = text + len;
  while (b < e && isspace((unsigned char)*b)) b++;
  while (e > b && isspace((unsigned char)e[-1])) e--;
  *begin = b;
  *end = e;
}

/* Shortest "%.Ng" that reads back as exactly x, so that files stay readable
 * (0.1, not 0.10000000000000001) and still round-trip bit for bit. */
static void format_double(double x, char *buf, size_t size) {
  for (int digits = 1; digits <= 17; digits++) {
    snprintf(buf, size, "%.*g", digits, x);
    const double back = strtod(buf, NULL);
    if (memcmp(&back, &x, sizeof x) == 0) return;
  }
  snprintf(buf, size, "%.17g", x);
}

/* ------------------------------------------------------------------------ */
/* Schema lookups                                                            */

static int section_is(const pt_config_key *k, const char *section, size_t len) {
  return strncmp(k->section, section, len) == 0 && k->section[len] == '\0';
}

static int section_known(const char *section, size_t len) {
  for (const pt_config_key *k = pt_config_schema(); k->section != NULL; k++)
    if (section_is(k, section, len)) return 1;
  return 0;
}

/* Row of section.key, or 0 if the schema has no such key. */
static int find_key(const char *section, size_t section_len, const char *key, size_t key_len, size_t *index) {
  const pt_config_key *k = pt_config_schema();
  for (size_t i = 0; k[i].section != NULL; i++)
    if (section_is(&k[i], section, section_len) && strncmp(k[i].key, key, key_len) == 0 &&
        k[i].key[key_len] == '\0') {
      *index = i;
      return 1;
    }
  return 0;
}

/* "data, synthetic, ..." in schema order, each section once. */
static const char *list_sections(char *buf, size_t size) {
  buf[0] = '\0';
  const pt_config_key *k = pt_config_schema();
  for (size_t i = 0; k[i].section != NULL; i++) {
    if (i > 0 && strcmp(k[i].section, k[i - 1].section) == 0) continue;
    if (buf[0] != '\0') append(buf, size, ", ");
    append(buf, size, k[i].section);
  }
  return buf;
}

/* "kind, epsilon, ..." for one section. */
static const char *list_keys(const char *section, size_t section_len, char *buf, size_t size) {
  buf[0] = '\0';
  for (const pt_config_key *k = pt_config_schema(); k->section != NULL; k++) {
    if (!section_is(k, section, section_len)) continue;
    if (buf[0] != '\0') append(buf, size, ", ");
    append(buf, size, k->key);
  }
  return buf;
}

/* ------------------------------------------------------------------------ */
/* Values                                                                    */

static int choice_allowed(const char *choices, const char *text) {
  const size_t len = strlen(text);
  for (const char *word = choices;;) {
    const char *bar = strchr(word, '|');
    const size_t word_len = bar ? (size_t)(bar - word) : strlen(word);
    if (word_len == len && memcmp(word, text, len) == 0) return 1;
    if (bar == NULL) return 0;
    word = bar + 1;
  }
}

static int equal_ignoring_case(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
  return *a == *b;
}

/* 1 or 0 for a boolean word, -1 if text is none of them. */
static int parse_bool(const char *text) {
  static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
    if (equal_ignoring_case(text, yes[i])) return 1;
    if (equal_ignoring_case(text, no[i])) return 0;
  }
  return -1;
}

/* A string value must come back unchanged from pt_config_to_ini() output, so
 * anything inih would read differently is refused here rather than silently
 * altered in a run file. */
static pt_status check_string(const char *name, const char *text, char *why, size_t why_size) {
  const size_t len = strlen(text);
  if (len > MAX_STRING) {
    snprintf(why, why_size, "%s is too long (%zu characters; at most %d, the longest path the system allows)",
             name, len, MAX_STRING);
    return PT_ECONFIG;
  }
  for (size_t i = 0; i < len; i++) {
    const unsigned char ch = (unsigned char)text[i];
    if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
      snprintf(why, why_size, "%s contains the control character 0x%02x at offset %zu", name, ch, i);
      return PT_ECONFIG;
    }
    if (ch == ';' && (i == 0 || isspace((unsigned char)text[i - 1]))) {
      snprintf(why, why_size, "%s cannot contain ';' at its start or after a space (it starts an INI comment)",
               name);
      return PT_ECONFIG;
    }
  }
  return PT_OK;
}

/* Parses text as the value of schema row `index` into *out (strings are
 * copied). On failure writes a sentence naming section.key into why. */
static pt_status parse_value(size_t index, const char *text, config_value *out, char *why, size_t why_size) {
  const pt_config_key *k = &pt_config_schema()[index];
  const char *name = pt_config_schema_name(index);
  char got[SHOWN_SIZE], bound[32];
  pt_text_shown(text, strlen(text), got, sizeof got);
  switch (k->type) {
  case PT_CONFIG_INT: {
    const int64_t lo = (int64_t)k->min, hi = (int64_t)k->max;
    char *end = NULL;
    errno = 0;
    const long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0') {
      snprintf(why, why_size, "%s must be an integer in %" PRId64 "..%" PRId64 " (got '%s')", name, lo, hi,
               got);
      return PT_ECONFIG;
    }
    if (errno == ERANGE || v < lo || v > hi) {
      snprintf(why, why_size, "%s must be an integer in %" PRId64 "..%" PRId64 " (got %s)", name, lo, hi, got);
      return PT_ECONFIG;
    }
    out->i = (int64_t)v;
    return PT_OK;
  }
  case PT_CONFIG_DOUBLE: {
    char *end = NULL;
    const double v = strtod(text, &end);
    /* ERANGE alone is no error: subnormals (which to_ini may write) set it */
    if (end == text || *end != '\0' || !isfinite(v)) {
      snprintf(why, why_size, "%s must be a finite number (got '%s')", name, got);
      return PT_ECONFIG;
    }
    if (k->min_exclusive ? !(v > k->min) : !(v >= k->min)) {
      format_double(k->min, bound, sizeof bound);
      snprintf(why, why_size, "%s must be %s %s (got %s)", name, k->min_exclusive ? ">" : ">=", bound, got);
      return PT_ECONFIG;
    }
    if (!(v <= k->max)) {
      format_double(k->max, bound, sizeof bound);
      snprintf(why, why_size, "%s must be <= %s (got %s)", name, bound, got);
      return PT_ECONFIG;
    }
    out->d = v;
    return PT_OK;
  }
  case PT_CONFIG_BOOL: {
    const int b = parse_bool(text);
    if (b < 0) {
      snprintf(why, why_size, "%s must be true/false, yes/no, on/off or 1/0 (got '%s')", name, got);
      return PT_ECONFIG;
    }
    out->b = b;
    return PT_OK;
  }
  case PT_CONFIG_CHOICE:
    if (!choice_allowed(k->choices, text)) {
      snprintf(why, why_size, "%s must be one of %s (got '%s')", name, k->choices, got);
      return PT_ECONFIG;
    }
    break;
  case PT_CONFIG_STRING:
    PT_TRY(check_string(name, text, why, why_size));
    break;
  default:
    snprintf(why, why_size, "%s has an unknown type %d in the schema", name, (int)k->type);
    return PT_ECONFIG;
  }
  out->s = strdup(text);
  if (out->s == NULL) {
    snprintf(why, why_size, "out of memory for the value of %s", name);
    return PT_ENOMEM;
  }
  return PT_OK;
}

/* Parses and stores the value of row `index`; c is unchanged on failure. */
static pt_status store(pt_config *c, size_t index, const char *text, char *why, size_t why_size) {
  config_value parsed;
  PT_TRY(parse_value(index, text, &parsed, why, why_size));
  if (holds_string(pt_config_schema()[index].type)) free(c->values[index].s);
  c->values[index] = parsed;
  return PT_OK;
}

/* Records that row `index` was set at `where` (copied); PT_ENOMEM without memory. */
static pt_status set_where(pt_config *c, size_t index, const char *where) {
  char *copy = strdup(where);
  if (copy == NULL) return pt_error(PT_ENOMEM, "out of memory for the origin of %s", pt_config_schema_name(index));
  free(c->where[index]);
  c->where[index] = copy;
  return PT_OK;
}

/* ------------------------------------------------------------------------ */
/* Allocation                                                                */

pt_status pt_config_alloc(pt_config **out) {
  static const char fn[] = "pt_config_alloc";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  const pt_config_key *k = pt_config_schema();
  const size_t n = schema_count();
  pt_config *c = malloc(sizeof *c + n * sizeof c->values[0]);
  if (c == NULL) return pt_error(PT_ENOMEM, "%s: out of memory", fn);
  c->count = n;
  c->where = calloc(n, sizeof *c->where);
  if (c->where == NULL) {
    free(c);
    return pt_error(PT_ENOMEM, "%s: out of memory", fn);
  }
  for (size_t i = 0; i < n; i++) {
    if (holds_string(k[i].type))
      c->values[i].s = NULL;
    else
      c->values[i].i = 0;
  }
  for (size_t i = 0; i < n; i++) {
    char why[WHY_SIZE];
    const pt_status st = store(c, i, k[i].fallback, why, sizeof why);
    if (st != PT_OK) {
      pt_config_free(&c);
      return pt_error(st, "%s: bad default in the schema: %s", fn, why);
    }
  }
  *out = c;
  return PT_OK;
}

pt_status pt_config_copy(const pt_config *src, pt_config **out) {
  static const char fn[] = "pt_config_copy";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  PT_CHECK_PTR(fn, src);
  pt_config *c;
  PT_TRY(pt_config_alloc(&c));
  const pt_config_key *k = pt_config_schema();
  for (size_t i = 0; i < c->count; i++) {
    if (holds_string(k[i].type)) {
      char *s = strdup(src->values[i].s);
      if (s == NULL) {
        pt_config_free(&c);
        return pt_error(PT_ENOMEM, "%s: out of memory", fn);
      }
      free(c->values[i].s);
      c->values[i].s = s;
    } else {
      c->values[i] = src->values[i];
    }
    if (src->where[i] != NULL && set_where(c, i, src->where[i]) != PT_OK) {
      pt_config_free(&c);
      return PT_ENOMEM;
    }
  }
  *out = c;
  return PT_OK;
}

void pt_config_free(pt_config **c) {
  if (c == NULL || *c == NULL) return;
  const pt_config_key *k = pt_config_schema();
  for (size_t i = 0; i < (*c)->count; i++) {
    if (holds_string(k[i].type)) free((*c)->values[i].s);
    free((*c)->where[i]);
  }
  free((*c)->where);
  free(*c);
  *c = NULL;
}

/* ------------------------------------------------------------------------ */
/* INI loading                                                               */

/* inih's handler sees neither line numbers (INI_HANDLER_LINENO is 0 in the
 * Debian build) nor section headers, so lines reach inih through read_line(),
 * which counts them, checks section headers, and can stop the parse. */
typedef struct load_state {
  pt_config *config;
  const char *origin;    /* file name or caller's label */
  char shown_origin[PT_SHOWN_PATH]; /* the same, escaped for messages */
  const char *next;      /* start of the next line to hand to inih */
  const char *end;       /* end of the text */
  const char *line_text; /* the line inih is parsing, without its line break */
  size_t line_len;
  int line;          /* its number, from 1 */
  int stop_line;     /* a line not to hand out, nor any after it (0: none) */
  int check_only;    /* pass 1: only find where inih's syntax check fails */
  int too_long_line; /* first line too long for inih's buffer (0: none) */
  int *key_line;     /* per schema row: the line that set it (0: not set by this text) */
  pt_status status;  /* pass 2: first error, already recorded with pt_error() */
} load_state;

/* Records the first error of a load as "origin:line: why"; returns 0, which is
 * what an inih handler returns to report failure. */
static int fail_at(load_state *st, int line, pt_status status, const char *why) {
  if (st->status == PT_OK) st->status = pt_error(status, "%s:%d: %s", st->shown_origin, line, why);
  return 0;
}

/* Pass 2 check of a section header line: inih would accept any section name
 * without a word, and ignore text after ']'. Returns 0 after recording an
 * error. Lines inih rejects as syntax errors never get here (pass 1 found
 * them and the reader stops before them). */
static int check_section_header(load_state *st) {
  const char *p, *e;
  trim(st->line_text, st->line_len, &p, &e);
  if (p == e || *p != '[') return 1;
  const char *close = memchr(p + 1, ']', (size_t)(e - p - 1));
  if (close == NULL) return 1; /* inih reports the missing ']' */
  char why[WHY_SIZE], name[SHOWN_SIZE], list[LIST_SIZE], rest[SHOWN_SIZE];
  const size_t name_len = (size_t)(close - p - 1);
  if (!section_known(p + 1, name_len)) {
    snprintf(why, sizeof why, "unknown section [%s] (known: %s)", pt_text_shown(p + 1, name_len, name, sizeof name),
             list_sections(list, sizeof list));
    return fail_at(st, st->line, PT_ECONFIG, why);
  }
  const char *after = close + 1;
  while (after < e && isspace((unsigned char)*after)) after++;
  if (after < e && *after != ';' && *after != '#') {
    snprintf(why, sizeof why, "unexpected text '%s' after the section header [%s]",
             pt_text_shown(after, (size_t)(e - after), rest, sizeof rest), pt_text_shown(p + 1, name_len, name, sizeof name));
    return fail_at(st, st->line, PT_ECONFIG, why);
  }
  return 1;
}

/* The line starting at `start` (text ends at `end`): *content gets its length
 * without the line ending, which is LF, CRLF or a lone CR (old Mac files);
 * returns the start of the next line (`end` after the last). */
static const char *next_line(const char *start, const char *end, size_t *content) {
  const char *p = start;
  while (p < end && *p != '\n' && *p != '\r') p++;
  *content = (size_t)(p - start);
  if (p < end && *p == '\r') p++;
  if (p < end && *p == '\n' && (p == start + *content || p[-1] == '\r')) p++;
  return p;
}

/* inih's reader: hands out the next line (fgets-style) and counts it. */
static char *read_line(char *buf, int size, void *stream) {
  load_state *st = stream;
  if (st->status != PT_OK || st->next >= st->end) return NULL;
  const int number = st->line + 1;
  if (st->stop_line > 0 && number >= st->stop_line) return NULL;
  const char *start = st->next;
  size_t content;
  const char *after = next_line(start, st->end, &content);
  if (size < 4 || content > (size_t)size - 3) { /* pass 1 finds it; pass 2 stops before it */
    st->too_long_line = number;
    return NULL;
  }
  st->line = number;
  st->next = after;
  st->line_text = start;
  st->line_len = content;
  if (number == 1 && content >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) { /* inih skips a UTF-8 BOM */
    st->line_text += 3;
    st->line_len -= 3;
  }
  if (!st->check_only && !check_section_header(st)) return NULL;
  /* inih sees every line ending as "\n" */
  memcpy(buf, start, content);
  buf[content] = '\n';
  buf[content + 1] = '\0';
  return buf;
}

/* inih calls the handler again with the previous key for an indented line
 * after a key (a multi-line value, Python style). A real key line has a name
 * and '=' before its value, so only a continuation has value == whole line. */
static int is_continuation(const load_state *st, const char *value) {
  if (st->line_len == 0 || !isspace((unsigned char)st->line_text[0])) return 0;
  const char *b, *e;
  trim(st->line_text, st->line_len, &b, &e);
  return strlen(value) == (size_t)(e - b) && memcmp(value, b, (size_t)(e - b)) == 0;
}

/* inih's handler: one "name = value" of `section`; returns 0 on error. */
static int on_key(void *user, const char *section, const char *name, const char *value) {
  load_state *st = user;
  if (st->check_only) return 1;
  if (st->status != PT_OK) return 0;
  char why[WHY_SIZE], shown_name[SHOWN_SIZE], shown_value[SHOWN_SIZE], list[LIST_SIZE];
  pt_text_shown(name, strlen(name), shown_name, sizeof shown_name);
  if (is_continuation(st, value)) {
    snprintf(why, sizeof why,
             "indented line '%s' would continue the value of %s%s%s: multi-line values are not supported "
             "(remove the indentation)",
             pt_text_shown(value, strlen(value), shown_value, sizeof shown_value), section, section[0] ? "." : "",
             shown_name);
    return fail_at(st, st->line, PT_ECONFIG, why);
  }
  if (section[0] == '\0') {
    snprintf(why, sizeof why, "key '%s' is outside any section (put it after a [section] header)", shown_name);
    return fail_at(st, st->line, PT_ECONFIG, why);
  }
  const size_t section_len = strlen(section);
  if (!section_known(section, section_len)) { /* normally caught at the header by read_line() */
    snprintf(why, sizeof why, "unknown section [%s] (known: %s)", section, list_sections(list, sizeof list));
    return fail_at(st, st->line, PT_ECONFIG, why);
  }
  size_t index;
  if (!find_key(section, section_len, name, strlen(name), &index)) {
    snprintf(why, sizeof why, "unknown key '%s' in section [%s] (known: %s)", shown_name, section,
             list_keys(section, section_len, list, sizeof list));
    return fail_at(st, st->line, PT_ECONFIG, why);
  }
  if (st->key_line[index] > 0) {
    snprintf(why, sizeof why, "key '%s' given twice in section [%s] (first on line %d)", shown_name, section,
             st->key_line[index]);
    return fail_at(st, st->line, PT_ECONFIG, why);
  }
  pt_status status = store(st->config, index, value, why, sizeof why);
  if (status != PT_OK) return fail_at(st, st->line, status, why);
  st->key_line[index] = st->line;
  char where[PT_SHOWN_PATH + 16];
  snprintf(where, sizeof where, "%s:%d", st->shown_origin, st->line);
  status = set_where(st->config, index, where);
  if (status != PT_OK && st->status == PT_OK) st->status = status;
  return status == PT_OK;
}

/* The error for line `number`, which pass 1 found inih rejects or too long. */
static pt_status syntax_error(load_state *st, const char *text, int number) {
  const char *line = text;
  size_t len;
  for (int i = 1; i < number && line < st->end; i++) line = next_line(line, st->end, &len);
  next_line(line, st->end, &len);
  const char *b, *e;
  trim(line, len, &b, &e);
  char why[WHY_SIZE], got[SHOWN_SIZE];
  pt_text_shown(b, (size_t)(e - b), got, sizeof got);
  if (number == st->too_long_line)
    snprintf(why, sizeof why, "line is too long (%zu characters; at most %d)", len, MAX_LINE);
  else if (b < e && *b == '[')
    snprintf(why, sizeof why, "syntax error: section header '%s' has no closing ']'", got);
  else
    snprintf(why, sizeof why, "syntax error: expected 'key = value', '[section]' or a comment (got '%s')", got);
  fail_at(st, number, PT_ECONFIG, why);
  return st->status;
}

/* Loads text[0..len) (no NUL inside) into c. inih keeps parsing after an
 * error, so a first pass only finds the first line inih rejects; the second
 * applies the lines before it and stops at its own first error, so that c
 * keeps exactly the values read before the first error. */
static pt_status load_text(pt_config *c, const char *text, size_t len, const char *origin) {
  ini_use_stack = 0;
  ini_allow_realloc = 0;
  ini_initial_alloc = LINE_BUFFER;
  ini_max_line = LINE_BUFFER;
  load_state st = {0};
  st.config = c;
  st.origin = origin;
  pt_text_shown(origin, strlen(origin), st.shown_origin, sizeof st.shown_origin);
  st.next = text;
  st.end = text + len;
  st.check_only = 1;
  int first_bad = ini_parse_stream(read_line, &st, on_key, &st);
  if (first_bad < 0) return pt_error(PT_ENOMEM, "%s: out of memory while parsing", st.shown_origin);
  if (first_bad == 0) first_bad = st.too_long_line;

  st.key_line = calloc(c->count, sizeof *st.key_line);
  if (st.key_line == NULL) return pt_error(PT_ENOMEM, "%s: out of memory", st.shown_origin);
  st.next = text;
  st.line = 0;
  st.check_only = 0;
  st.stop_line = first_bad;
  const int rc = ini_parse_stream(read_line, &st, on_key, &st);
  free(st.key_line);
  st.key_line = NULL;
  if (st.status != PT_OK) return st.status;
  if (rc < 0) return pt_error(PT_ENOMEM, "%s: out of memory while parsing", st.shown_origin);
  if (rc > 0) return syntax_error(&st, text, rc); /* not expected: pass 1 saw the same lines */
  if (first_bad > 0) return syntax_error(&st, text, first_bad);
  return PT_OK;
}

static pt_status io_error(const char *what, const char *path, int err) {
  char reason[128], shown_path[PT_SHOWN_PATH];
  if (strerror_r(err, reason, sizeof reason) != 0) snprintf(reason, sizeof reason, "error %d", err);
  return pt_error(PT_EIO, "cannot %s configuration file '%s': %s", what,
                  pt_text_shown(path, strlen(path), shown_path, sizeof shown_path), reason);
}

/* Reads the whole file into *text (NUL-terminated; the caller frees it). */
static pt_status read_file(const char *path, char **text, size_t *len) {
  *text = NULL;
  *len = 0;
  char why[128]; /* a FIFO or a directory is refused, never waited on */
  FILE *f = pt_file_open_input(path, why, sizeof why);
  if (f == NULL) return pt_error(PT_EIO, "cannot open configuration file '%s': %s", path, why);
  size_t cap = 4096, used = 0;
  char *buf = malloc(cap);
  pt_status status = buf ? PT_OK : pt_error(PT_ENOMEM, "out of memory for a configuration file");
  while (status == PT_OK) {
    if (used + 1 == cap) {
      if (cap >= MAX_FILE_BYTES) {
        char shown_path[PT_SHOWN_PATH];
        status = pt_error(PT_ECONFIG, "'%s' is larger than %zu MiB: not a configuration file",
                          pt_text_shown(path, strlen(path), shown_path, sizeof shown_path), MAX_FILE_BYTES >> 20);
        break;
      }
      char *grown = realloc(buf, 2 * cap);
      if (grown == NULL) {
        status = pt_error(PT_ENOMEM, "out of memory for a configuration file");
        break;
      }
      buf = grown;
      cap *= 2;
    }
    errno = 0;
    const size_t got = fread(buf + used, 1, cap - 1 - used, f);
    used += got;
    if (got == 0) {
      if (ferror(f)) status = io_error("read", path, errno ? errno : EIO);
      break;
    }
  }
  fclose(f);
  if (status != PT_OK) {
    free(buf);
    return status;
  }
  buf[used] = '\0';
  *text = buf;
  *len = used;
  return PT_OK;
}

pt_status pt_config_load_file(pt_config *c, const char *path) {
  static const char fn[] = "pt_config_load_file";
  PT_CHECK_PTR(fn, c);
  PT_CHECK_PTR(fn, path);
  char *text;
  size_t len;
  PT_TRY(read_file(path, &text, &len));
  pt_status status;
  const char *nul = memchr(text, '\0', len);
  if (nul != NULL) {
    int line = 1;
    size_t content;
    for (const char *p = next_line(text, text + len, &content); p <= nul && p < text + len;
         p = next_line(p, text + len, &content))
      line++;
    char shown_path[PT_SHOWN_PATH];
    status = pt_error(PT_ECONFIG, "%s:%d: contains a NUL byte (not a text file?)",
                      pt_text_shown(path, strlen(path), shown_path, sizeof shown_path), line);
  } else {
    status = load_text(c, text, len, path);
  }
  free(text);
  return status;
}

pt_status pt_config_load_string(pt_config *c, const char *text, const char *origin) {
  static const char fn[] = "pt_config_load_string";
  PT_CHECK_PTR(fn, c);
  PT_CHECK_PTR(fn, text);
  PT_CHECK_PTR(fn, origin);
  return load_text(c, text, strlen(text), origin);
}

/* ------------------------------------------------------------------------ */
/* Overrides                                                                 */

/* Applies one override; *index gets its row (also on a bad value), SIZE_MAX
 * if the override names no key. */
static pt_status set_one(pt_config *c, const char *assignment, size_t *index) {
  *index = SIZE_MAX;
  char what[SHOWN_SIZE], why[WHY_SIZE], list[LIST_SIZE], part[SHOWN_SIZE];
  pt_text_shown(assignment, strlen(assignment), what, sizeof what);
  const char *eq = strchr(assignment, '=');
  const char *name, *name_end, *dot = NULL;
  if (eq != NULL) {
    trim(assignment, (size_t)(eq - assignment), &name, &name_end);
    dot = memchr(name, '.', (size_t)(name_end - name));
  }
  if (dot == NULL || dot == name || dot + 1 == name_end)
    return pt_error(PT_ECONFIG, "override '%s': expected section.key=value", what);
  const size_t section_len = (size_t)(dot - name), key_len = (size_t)(name_end - dot - 1);
  if (!section_known(name, section_len))
    return pt_error(PT_ECONFIG, "override '%s': unknown section [%s] (known: %s)", what,
                    pt_text_shown(name, section_len, part, sizeof part), list_sections(list, sizeof list));
  size_t row;
  if (!find_key(name, section_len, dot + 1, key_len, &row))
    return pt_error(PT_ECONFIG, "override '%s': unknown key '%s' in section [%.*s] (known: %s)", what,
                    pt_text_shown(dot + 1, key_len, part, sizeof part), (int)section_len, name,
                    list_keys(name, section_len, list, sizeof list));
  *index = row;
  const char *value, *value_end;
  trim(eq + 1, strlen(eq + 1), &value, &value_end);
  const size_t value_len = (size_t)(value_end - value);
  char *text = malloc(value_len + 1);
  if (text == NULL) return pt_error(PT_ENOMEM, "override '%s': out of memory", what);
  memcpy(text, value, value_len);
  text[value_len] = '\0';
  const pt_status status = store(c, row, text, why, sizeof why);
  free(text);
  if (status != PT_OK) return pt_error(status, "override '%s': %s", what, why);
  return set_where(c, row, "command line");
}

pt_status pt_config_set(pt_config *c, const char *assignment) {
  static const char fn[] = "pt_config_set";
  PT_CHECK_PTR(fn, c);
  PT_CHECK_PTR(fn, assignment);
  size_t index;
  return set_one(c, assignment, &index);
}

pt_status pt_config_set_overrides(pt_config *c, char *const *assignments, int n) {
  static const char fn[] = "pt_config_set_overrides";
  PT_CHECK_PTR(fn, c);
  if (n > 0) PT_CHECK_PTR(fn, assignments);
  int *first = malloc(c->count * sizeof *first); /* per row: the override that set it, or -1 */
  if (first == NULL) return pt_error(PT_ENOMEM, "%s: out of memory", fn);
  for (size_t i = 0; i < c->count; i++) first[i] = -1;
  pt_status st = PT_OK;
  for (int k = 0; k < n && st == PT_OK; k++) {
    size_t index;
    st = set_one(c, assignments[k], &index);
    if (st != PT_OK || index == SIZE_MAX) break;
    if (first[index] >= 0) {
      /* the later value would silently win: a typo in a long command line */
      char a[SHOWN_SIZE], b[SHOWN_SIZE];
      st = pt_error(PT_ECONFIG, "override '%s' sets %s again (first set by '%s'): give each key once",
                    pt_text_shown(assignments[k], strlen(assignments[k]), b, sizeof b),
                    pt_config_schema_name(index),
                    pt_text_shown(assignments[first[index]], strlen(assignments[first[index]]), a, sizeof a));
      break;
    }
    first[index] = k;
  }
  free(first);
  return st;
}

/* ------------------------------------------------------------------------ */
/* Rules between keys                                                        */

static int same_value(pt_config_type type, const config_value *a, const config_value *b);

/* Nonzero if row `index` is in effect: set explicitly, and not to the value
 * `off` names (e.g. data.folds = 0 turns cross-validation off); for an `off`
 * of "=VALUE", set explicitly to VALUE. */
static int in_effect(const pt_config *c, size_t index, const char *off) {
  if (c->where[index] == NULL) return 0;
  if (off == NULL) return 1;
  if (off[0] == '=') return !in_effect(c, index, off + 1);
  config_value v;
  char why[WHY_SIZE];
  if (parse_value(index, off, &v, why, sizeof why) != PT_OK) return 1;
  const pt_config_type type = pt_config_schema()[index].type;
  const int same = same_value(type, &c->values[index], &v);
  if (holds_string(type)) free(v.s);
  return !same;
}

static size_t row_of(const char *name) {
  size_t i = 0;
  for (const char *n; (n = pt_config_schema_name(i)) != NULL; i++)
    if (strcmp(n, name) == 0) return i;
  return SIZE_MAX;
}

pt_status pt_config_check(const pt_config *c) {
  static const char fn[] = "pt_config_check";
  PT_CHECK_PTR(fn, c);
  for (const pt_config_rule *r = pt_config_rules(); r->key != NULL; r++) {
    const size_t a = row_of(r->key), b = row_of(r->other);
    if (a == SIZE_MAX || b == SIZE_MAX)
      return pt_error(PT_ECONFIG, "%s: the rule %s / %s names an unknown key", fn, r->key, r->other);
    if (!in_effect(c, a, r->key_off)) continue;
    const int other = in_effect(c, b, r->other_off);
    if (r->excludes && other)
      return pt_error(PT_ECONFIG, "%s (%s) and %s (%s) exclude each other: %s", r->key, c->where[a],
                      r->other, c->where[b], r->why);
    if (!r->excludes && !other && r->other_off != NULL && r->other_off[0] == '=')
      return pt_error(PT_ECONFIG, "%s (%s) needs %s = %s, which is %s (%s): %s", r->key, c->where[a], r->other,
                      r->other_off + 1, c->values[b].s, c->where[b] ? c->where[b] : "the default", r->why);
    if (!r->excludes && !other)
      return pt_error(PT_ECONFIG, "%s (%s) needs %s, which is %s: %s", r->key, c->where[a], r->other,
                      c->where[b] ? "off" : "not set", r->why);
  }
  return PT_OK;
}

/* ------------------------------------------------------------------------ */
/* Getters                                                                   */

/* Row of "section.key" `name`, checked to hold a value of an accepted type. */
static pt_status lookup(const char *fn, const pt_config *c, const char *name, pt_config_type want,
                        pt_config_type also, size_t *index) {
  PT_CHECK_PTR(fn, c);
  PT_CHECK_PTR(fn, name);
  char shown_name[SHOWN_SIZE], list[LIST_SIZE];
  pt_text_shown(name, strlen(name), shown_name, sizeof shown_name);
  size_t i = 0;
  while (i < c->count && strcmp(pt_config_schema_name(i), name) != 0) i++;
  if (i == c->count) {
    const char *dot = strchr(name, '.');
    if (dot != NULL && section_known(name, (size_t)(dot - name)))
      return pt_error(PT_ECONFIG, "%s: unknown key '%s' (known in [%.*s]: %s)", fn, shown_name,
                      (int)(dot - name), name, list_keys(name, (size_t)(dot - name), list, sizeof list));
    return pt_error(PT_ECONFIG, "%s: unknown key '%s' (names are section.key; sections: %s)", fn, shown_name,
                    list_sections(list, sizeof list));
  }
  const pt_config_type type = pt_config_schema()[i].type;
  if (type != want && type != also)
    return pt_error(PT_ECONFIG, "%s: %s is %s, not %s", fn, shown_name, type_name(type), type_name(want));
  *index = i;
  return PT_OK;
}

pt_status pt_config_get_string(const pt_config *c, const char *name, const char **out) {
  static const char fn[] = "pt_config_get_string";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  size_t i;
  PT_TRY(lookup(fn, c, name, PT_CONFIG_STRING, PT_CONFIG_CHOICE, &i));
  *out = c->values[i].s;
  return PT_OK;
}

pt_status pt_config_get_int(const pt_config *c, const char *name, int64_t *out) {
  static const char fn[] = "pt_config_get_int";
  PT_CHECK_PTR(fn, out);
  size_t i;
  PT_TRY(lookup(fn, c, name, PT_CONFIG_INT, PT_CONFIG_INT, &i));
  *out = c->values[i].i;
  return PT_OK;
}

pt_status pt_config_get_double(const pt_config *c, const char *name, double *out) {
  static const char fn[] = "pt_config_get_double";
  PT_CHECK_PTR(fn, out);
  size_t i;
  PT_TRY(lookup(fn, c, name, PT_CONFIG_DOUBLE, PT_CONFIG_DOUBLE, &i));
  *out = c->values[i].d;
  return PT_OK;
}

pt_status pt_config_get_bool(const pt_config *c, const char *name, int *out) {
  static const char fn[] = "pt_config_get_bool";
  PT_CHECK_PTR(fn, out);
  size_t i;
  PT_TRY(lookup(fn, c, name, PT_CONFIG_BOOL, PT_CONFIG_BOOL, &i));
  *out = c->values[i].b;
  return PT_OK;
}

/* ------------------------------------------------------------------------ */
/* Output and comparison                                                     */

typedef struct text_buf {
  char *data;
  size_t len, cap;
  int failed; /* an allocation failed; later appends are ignored */
} text_buf;

static void put(text_buf *b, const char *s) {
  const size_t n = strlen(s);
  if (b->failed) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (b->len + n + 1 > cap) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (grown == NULL) {
      b->failed = 1;
      return;
    }
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n + 1);
  b->len += n;
}

pt_status pt_config_to_ini(const pt_config *c, char **text) {
  static const char fn[] = "pt_config_to_ini";
  PT_CHECK_PTR(fn, text);
  *text = NULL;
  PT_CHECK_PTR(fn, c);
  const pt_config_key *k = pt_config_schema();
  text_buf b = {NULL, 0, 0, 0};
  for (size_t i = 0; i < c->count; i++) {
    if (i == 0 || strcmp(k[i].section, k[i - 1].section) != 0) {
      put(&b, i == 0 ? "[" : "\n[");
      put(&b, k[i].section);
      put(&b, "]\n");
    }
    char number[40];
    const char *shown_value = number;
    switch (k[i].type) {
    case PT_CONFIG_INT: snprintf(number, sizeof number, "%" PRId64, c->values[i].i); break;
    case PT_CONFIG_DOUBLE: format_double(c->values[i].d, number, sizeof number); break;
    case PT_CONFIG_BOOL: shown_value = c->values[i].b ? "true" : "false"; break;
    case PT_CONFIG_STRING:
    case PT_CONFIG_CHOICE: shown_value = c->values[i].s; break;
    }
    put(&b, k[i].key);
    put(&b, shown_value[0] != '\0' ? " = " : " =");
    put(&b, shown_value);
    put(&b, "\n");
  }
  if (b.failed || b.data == NULL) {
    free(b.data);
    return pt_error(PT_ENOMEM, "%s: out of memory", fn);
  }
  *text = b.data;
  return PT_OK;
}

static int same_value(pt_config_type type, const config_value *a, const config_value *b) {
  switch (type) {
  case PT_CONFIG_INT: return a->i == b->i;
  /* bitwise, since a run file must reproduce the run exactly */
  case PT_CONFIG_DOUBLE: return memcmp(&a->d, &b->d, sizeof a->d) == 0;
  case PT_CONFIG_BOOL: return a->b == b->b;
  case PT_CONFIG_STRING:
  case PT_CONFIG_CHOICE: return strcmp(a->s, b->s) == 0;
  }
  return 0;
}

int pt_config_equal(const pt_config *a, const pt_config *b, const char **first_difference) {
  if (first_difference != NULL) *first_difference = NULL;
  if (a == NULL || b == NULL) return a == b;
  const pt_config_key *k = pt_config_schema();
  for (size_t i = 0; i < a->count; i++)
    if (!same_value(k[i].type, &a->values[i], &b->values[i])) {
      if (first_difference != NULL) *first_difference = pt_config_schema_name(i);
      return 0;
    }
  return 1;
}
