/* fuzz_config.c: the INI configuration loader and the overrides.
 *
 * Input: INI text, optionally followed by a NUL byte and overrides
 * ("section.key=value"), one a line. The text is loaded both as a string
 * (pt_config_load_string, as from a run file) and as a file
 * (pt_config_load_file); both must agree. Then the overrides apply
 * (pt_config_set). Whatever loaded must survive the round trip that run
 * files rely on (config.h): pt_config_to_ini, then pt_config_load_string,
 * gives an equal configuration. Failures must keep the error contract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "perturb/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  const size_t ini_len = strlen(text);
  const char *path = fz_write_file("config.ini", data, ini_len);

  pt_config *a = NULL, *b = NULL, *c = NULL;
  if (pt_config_alloc(&a) != PT_OK || pt_config_alloc(&b) != PT_OK || pt_config_alloc(&c) != PT_OK) abort();
  const pt_status sa = pt_config_load_string(a, text, "fuzz.ini");
  if (sa != PT_OK) fz_check_error(sa, "pt_config_load_string");
  const pt_status sb = pt_config_load_file(b, path);
  if (sb != PT_OK) fz_check_error(sb, "pt_config_load_file");
  if ((sa == PT_OK) != (sb == PT_OK) || (sa == PT_OK && !pt_config_equal(a, b, NULL))) {
    fprintf(stderr, "fuzz: the same INI text loads differently from a string (%d) and from a file (%d)\n", (int)sa,
            (int)sb);
    abort();
  }

  /* The overrides, on whatever the text gave (as `perturb train` applies
   * them after the file). */
  pt_status st = sa;
  if (st == PT_OK && ini_len < size) {
    char *line = text + ini_len + 1;
    while (st == PT_OK && line < text + size) {
      char *nl = memchr(line, '\n', (size_t)(text + size - line));
      if (nl) *nl = '\0';
      st = pt_config_set(a, line);
      if (st != PT_OK) fz_check_error(st, "pt_config_set");
      line = nl ? nl + 1 : text + size;
    }
  }

  if (st == PT_OK) {
    char *ini = NULL;
    if (pt_config_to_ini(a, &ini) != PT_OK) abort();
    const char *diff = NULL;
    const pt_status sr = pt_config_load_string(c, ini, "round trip");
    if (sr != PT_OK || !pt_config_equal(a, c, &diff)) {
      fprintf(stderr, "fuzz: the resolved configuration does not load back (%s; differs at %s):\n%s\n",
              sr != PT_OK ? pt_last_error() : "loaded", diff ? diff : "-", ini);
      abort();
    }
    free(ini);
  }
  pt_config_free(&a);
  pt_config_free(&b);
  pt_config_free(&c);
  free(text);
  return 0;
}
