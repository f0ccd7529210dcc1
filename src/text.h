/* text.h (internal): user text quoted in one-line messages (core library,
 * used by pt_error() and the engine). */
#ifndef PERTURB_TEXT_H
#define PERTURB_TEXT_H

#include <stddef.h>

/* Sizes of a buffer for pt_text_shown(): a value (a CSV cell, a key, an INI
 * value) or a path, which is shown longer since its end names the file. */
enum { PT_SHOWN_VALUE = 160, PT_SHOWN_PATH = 640 };

/*
 * Writes into buf[size] (size >= 8) a printable copy of text[0..len) for a
 * message: control bytes become C escapes (\r, \n, \t, \x1b, ...) so that a
 * message stays on one line and a terminal does not act on them, and text
 * that does not fit is cut with "…". Other bytes (UTF-8 included) are copied.
 * Returns buf. Not collective.
 */
const char *pt_text_shown(const char *text, size_t len, char *buf, size_t size);

#endif
