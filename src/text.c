/* text.c: user text quoted in one-line messages. */
#include "text.h"

#include <stdio.h>
#include <string.h>

const char *pt_text_shown(const char *text, size_t len, char *buf, size_t size) {
  static const char cut[] = "\xE2\x80\xA6"; /* "…" */
  const size_t room = size - sizeof cut;    /* keeps space for the mark and the NUL */
  size_t n = 0, i = 0;
  for (; i < len; i++) {
    const unsigned char ch = (unsigned char)text[i];
    char piece[5];
    size_t plen = 1;
    if (ch == '\r' || ch == '\n' || ch == '\t') {
      piece[0] = '\\';
      piece[1] = ch == '\r' ? 'r' : ch == '\n' ? 'n' : 't';
      plen = 2;
    } else if (ch < 0x20 || ch == 0x7f) {
      snprintf(piece, sizeof piece, "\\x%02x", ch);
      plen = 4;
    } else {
      piece[0] = (char)ch;
    }
    if (n + plen > room) break;
    memcpy(buf + n, piece, plen);
    n += plen;
  }
  if (i < len) {
    /* do not end inside a UTF-8 sequence: drop its lead and continuation bytes */
    size_t back = n;
    while (back > 0 && ((unsigned char)buf[back - 1] & 0xC0) == 0x80) back--;
    if (back > 0 && (unsigned char)buf[back - 1] >= 0xC0) n = back - 1;
    memcpy(buf + n, cut, sizeof cut - 1);
    n += sizeof cut - 1;
  }
  buf[n] = '\0';
  return buf;
}
