/* Token vocabularies: one piece per line (see hmc/ctc.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmc/ctc.h"

struct hmcrt_vocab {
  int64_t size;
  char *text;      /* the file, each piece NUL-terminated in place */
  size_t *offsets; /* size entries: where each piece starts in text */
};

static hmc_status vocab_fail(char *error, size_t error_size, hmc_status status,
                             const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static hmc_status vocab_fail(char *error, size_t error_size, hmc_status status,
                             const char *fmt, ...) {
  if (error && error_size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, error_size, fmt, ap);
    va_end(ap);
  }
  return status;
}

/* Length of the UTF-8 sequence at s (n bytes left), 0 if it is invalid:
 * truncated, overlong, a surrogate or above U+10FFFF. */
static size_t utf8_length(const unsigned char *s, size_t n) {
  if (s[0] < 0x80)
    return 1;
  size_t length;
  unsigned min_second = 0x80, max_second = 0xbf;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) {
    length = 2;
  } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
    length = 3;
    if (s[0] == 0xe0)
      min_second = 0xa0; /* overlong */
    if (s[0] == 0xed)
      max_second = 0x9f; /* surrogates */
  } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
    length = 4;
    if (s[0] == 0xf0)
      min_second = 0x90; /* overlong */
    if (s[0] == 0xf4)
      max_second = 0x8f; /* above U+10FFFF */
  } else {
    return 0;
  }
  if (n < length || s[1] < min_second || s[1] > max_second)
    return 0;
  for (size_t i = 2; i < length; i++)
    if (s[i] < 0x80 || s[i] > 0xbf)
      return 0;
  return length;
}

/* Reads the whole file into a NUL-terminated malloc'ed buffer. */
static hmc_status read_file(const char *path, char **data, size_t *size,
                            char *error, size_t error_size) {
  FILE *file = fopen(path, "rb");
  if (!file)
    return vocab_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, "%s: %s",
                      path, strerror(errno));
  char *buffer = NULL;
  size_t used = 0, allocated = 0;
  hmc_status status = HMC_OK;
  for (;;) {
    if (allocated - used < 4096 + 1) {
      size_t grown = allocated ? 2 * allocated : 65536;
      char *bigger = realloc(buffer, grown);
      if (!bigger) {
        status = vocab_fail(error, error_size, HMC_ERROR_OUT_OF_MEMORY,
                            "%s: out of memory", path);
        break;
      }
      buffer = bigger;
      allocated = grown;
    }
    size_t got = fread(buffer + used, 1, allocated - used - 1, file);
    used += got;
    if (got == 0) {
      if (ferror(file))
        status = vocab_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT,
                            "%s: read error", path);
      break;
    }
  }
  fclose(file);
  if (status != HMC_OK) {
    free(buffer);
    return status;
  }
  buffer[used] = '\0';
  *data = buffer;
  *size = used;
  return HMC_OK;
}

hmc_status hmcrt_vocab_load(const char *path, hmcrt_vocab **out, char *error,
                            size_t error_size) {
  if (error && error_size)
    error[0] = '\0';
  if (!out || !path) {
    if (out)
      *out = NULL;
    return vocab_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT,
                      "hmcrt_vocab_load: NULL %s", out ? "path" : "out");
  }
  *out = NULL;
  char *text = NULL;
  size_t size = 0;
  hmc_status status = read_file(path, &text, &size, error, error_size);
  if (status != HMC_OK)
    return status;

  size_t start = 0;
  if (size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
    start = 3; /* byte-order mark */
  if (start == size) {
    free(text);
    return vocab_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT,
                      "%s: empty vocabulary", path);
  }
  /* One id per line; a final line end does not open another. */
  int64_t lines = 0;
  for (size_t i = start; i < size; i++)
    if (text[i] == '\n' || i + 1 == size)
      lines++;

  hmcrt_vocab *vocab = malloc(sizeof *vocab);
  size_t *offsets = malloc((size_t)lines * sizeof *offsets);
  if (!vocab || !offsets) {
    free(vocab);
    free(offsets);
    free(text);
    return vocab_fail(error, error_size, HMC_ERROR_OUT_OF_MEMORY,
                      "%s: out of memory", path);
  }
  int64_t line = 0;
  size_t i = start;
  while (i < size) {
    size_t piece_end = SIZE_MAX;
    offsets[line] = i;
    while (i < size && text[i] != '\n') {
      size_t length = utf8_length((const unsigned char *)text + i, size - i);
      if (text[i] == '\0' || length == 0) {
        free(offsets);
        free(vocab);
        free(text);
        return vocab_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT,
                          "%s:%lld: %s", path, (long long)line + 1,
                          length ? "NUL byte" : "invalid UTF-8");
      }
      if (text[i] == '\t' && piece_end == SIZE_MAX)
        piece_end = i;
      i += length;
    }
    if (piece_end == SIZE_MAX)
      piece_end = i > offsets[line] && text[i - 1] == '\r' ? i - 1 : i;
    text[piece_end] = '\0';
    i++; /* past the '\n' (or the final NUL) */
    line++;
  }
  vocab->size = lines;
  vocab->text = text;
  vocab->offsets = offsets;
  *out = vocab;
  return HMC_OK;
}

void hmcrt_vocab_free(hmcrt_vocab *vocab) {
  if (!vocab)
    return;
  free(vocab->offsets);
  free(vocab->text);
  free(vocab);
}

int64_t hmcrt_vocab_size(const hmcrt_vocab *vocab) {
  return vocab ? vocab->size : 0;
}

const char *hmcrt_vocab_piece(const hmcrt_vocab *vocab, int64_t id) {
  if (!vocab || id < 0 || id >= vocab->size)
    return NULL;
  return vocab->text + vocab->offsets[id];
}

hmc_status hmcrt_vocab_detokenize(const hmcrt_vocab *vocab, const int64_t *ids,
                                  int64_t count, char *text, size_t capacity,
                                  size_t *length) {
  if (length)
    *length = 0;
  if (!vocab || !length || (!ids && count > 0) || count < 0 ||
      (!text && capacity > 0))
    return HMC_ERROR_INVALID_ARGUMENT;
  for (int64_t k = 0; k < count; k++)
    if (ids[k] < 0 || ids[k] >= vocab->size)
      return HMC_ERROR_OUT_OF_RANGE;

  static const char marker[] = "\xe2\x96\x81"; /* U+2581 */
  size_t n = 0;
  for (int64_t k = 0; k < count; k++) {
    for (const char *p = vocab->text + vocab->offsets[ids[k]]; *p;) {
      char c = *p;
      size_t step = 1;
      if (strncmp(p, marker, 3) == 0) {
        c = ' ';
        step = 3;
      }
      p += step;
      if (c == ' ' && n == 0)
        continue; /* SentencePiece drops the leading word boundary */
      if (n < capacity)
        text[n] = c;
      n++;
    }
  }
  *length = n;
  if (n + 1 > capacity)
    return HMC_ERROR_BUFFER_TOO_SMALL;
  text[n] = '\0';
  return HMC_OK;
}
