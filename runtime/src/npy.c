/* .npy reader and writer (format versions 1.0 to 3.0, little-endian, C
 * order). The reader trusts nothing in the file: every length is checked
 * against the file size before it is used. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hmc/runtime.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error ".npy data is read and written as little-endian host memory"
#endif

/* numpy itself refuses headers above 10000 bytes by default. */
#define MAX_HEADER_SIZE 65536
#define SUPPORTED_DTYPES "'<f4', '<f8', '<i4', '<i8' or '|b1'"

static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

static hmc_status npy_fail(char *error, size_t error_size, hmc_status status,
                           const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static hmc_status npy_fail(char *error, size_t error_size, hmc_status status,
                           const char *path, const char *fmt, ...) {
  if (!error || error_size == 0)
    return status;
  int n = snprintf(error, error_size, "%s: ", path ? path : "(null)");
  if (n >= 0 && (size_t)n < error_size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error + n, error_size - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return status;
}

static const struct {
  const char *descr;
  hmc_dtype dtype;
} dtypes[] = {{"<f4", HMC_DTYPE_FLOAT32},
              {"<f8", HMC_DTYPE_FLOAT64},
              {"<i4", HMC_DTYPE_INT32},
              {"<i8", HMC_DTYPE_INT64},
              {"|b1", HMC_DTYPE_BOOL}};

#define NUM_DTYPES (sizeof(dtypes) / sizeof(dtypes[0]))

/* Element count times element size, or 0 with *overflow set. */
static size_t array_bytes(hmc_dtype dtype, int32_t rank, const int64_t *shape,
                          int *overflow) {
  size_t bytes = hmcrt_dtype_size(dtype);
  *overflow = 0;
  for (int32_t d = 0; d < rank; d++) {
    if (shape[d] < 0 || (shape[d] > 0 && bytes > SIZE_MAX / (size_t)shape[d])) {
      *overflow = 1;
      return 0;
    }
    bytes *= (size_t)shape[d];
  }
  return bytes;
}

/* Python tuple syntax: "()", "(3,)", "(2, 3)". */
static void format_tuple(int32_t rank, const int64_t *shape, char *out,
                         size_t size) {
  size_t n = (size_t)snprintf(out, size, "(");
  for (int32_t d = 0; d < rank && n < size; d++)
    n += (size_t)snprintf(out + n, size - n, "%s%lld", d ? ", " : "",
                          (long long)shape[d]);
  if (n < size)
    snprintf(out + n, size - n, rank == 1 ? ",)" : ")");
}

/* ---- Header dictionary parser ------------------------------------------ */

typedef struct cursor {
  const char *begin;
  const char *p;
  const char *end;
} cursor;

static void skip_space(cursor *c) {
  while (c->p < c->end &&
         (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static int accept(cursor *c, char ch) {
  skip_space(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

static int accept_word(cursor *c, const char *word) {
  size_t n = strlen(word);
  skip_space(c);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
    return 0;
  c->p += n;
  return 1;
}

/* A quoted string without escapes, copied into out (size > 0). */
static int parse_string(cursor *c, char *out, size_t size) {
  skip_space(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return 0;
  char quote = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != quote) {
    if (*c->p == '\\' || n + 1 >= size)
      return 0;
    out[n++] = *c->p++;
  }
  if (c->p >= c->end)
    return 0;
  c->p++;
  out[n] = '\0';
  return 1;
}

static int parse_dim(cursor *c, int64_t *out) {
  skip_space(c);
  int64_t v = 0;
  const char *start = c->p;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    int digit = *c->p++ - '0';
    if (v > (INT64_MAX - digit) / 10)
      return 0;
    v = v * 10 + digit;
  }
  *out = v;
  return c->p > start;
}

typedef struct header {
  hmc_dtype dtype;
  int32_t rank;
  int64_t shape[HMC_MAX_RANK];
} header;

static hmc_status parse_shape(cursor *c, header *h, const char *path,
                              char *error, size_t error_size) {
  if (!accept(c, '('))
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "malformed header: 'shape' is not a tuple");
  h->rank = 0;
  if (accept(c, ')'))
    return HMC_OK;
  for (;;) {
    if (h->rank == HMC_MAX_RANK)
      return npy_fail(error, error_size, HMC_ERROR_SHAPE, path,
                      "the array has more than %d dimensions", HMC_MAX_RANK);
    if (!parse_dim(c, &h->shape[h->rank]))
      return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                      "malformed header: shape entry %d is not a "
                      "non-negative integer",
                      h->rank);
    h->rank++;
    if (accept(c, ')'))
      return HMC_OK;
    if (!accept(c, ','))
      return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                      "malformed header: expected ',' or ')' in 'shape'");
    if (accept(c, ')'))
      return HMC_OK;
  }
}

static hmc_status parse_header(const char *text, size_t size, header *h,
                               const char *path, char *error,
                               size_t error_size) {
  cursor c = {text, text, text + size};
  int have_descr = 0, have_order = 0, have_shape = 0;
  if (!accept(&c, '{'))
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "malformed header: expected '{'");
  for (;;) {
    if (accept(&c, '}'))
      break;
    char key[32];
    if (!parse_string(&c, key, sizeof(key)) || !accept(&c, ':'))
      return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                      "malformed header near byte %d: expected 'key':",
                      (int)(c.p - c.begin));
    if (strcmp(key, "descr") == 0 && !have_descr) {
      char descr[16];
      if (!parse_string(&c, descr, sizeof(descr)))
        return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                        "malformed header: 'descr' is not a short string");
      size_t i = 0;
      while (i < NUM_DTYPES && strcmp(descr, dtypes[i].descr) != 0)
        i++;
      if (i == NUM_DTYPES)
        return npy_fail(
            error, error_size, HMC_ERROR_DTYPE, path,
            "dtype '%s' is not supported; expected " SUPPORTED_DTYPES, descr);
      h->dtype = dtypes[i].dtype;
      have_descr = 1;
    } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
      if (accept_word(&c, "True"))
        return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                        "Fortran-order arrays are not supported; save a "
                        "C-order array (numpy.ascontiguousarray)");
      if (!accept_word(&c, "False"))
        return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                        "malformed header: 'fortran_order' is not a bool");
      have_order = 1;
    } else if (strcmp(key, "shape") == 0 && !have_shape) {
      hmc_status st = parse_shape(&c, h, path, error, error_size);
      if (st != HMC_OK)
        return st;
      have_shape = 1;
    } else {
      return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                      "malformed header: unexpected or repeated key '%s'", key);
    }
    if (accept(&c, ','))
      continue;
    if (accept(&c, '}'))
      break;
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "malformed header near byte %d: expected ',' or '}'",
                    (int)(c.p - c.begin));
  }
  skip_space(&c);
  if (c.p != c.end)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "malformed header: unexpected text after the dictionary");
  if (!have_descr || !have_order || !have_shape)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "malformed header: it needs 'descr', 'fortran_order' and "
                    "'shape'");
  return HMC_OK;
}

/* ---- Reader ------------------------------------------------------------ */

static hmc_status read_exact(FILE *f, void *buf, size_t n, const char *what,
                             const char *path, char *error, size_t error_size) {
  if (fread(buf, 1, n, f) != n)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "cannot read the %s: %s", what,
                    ferror(f) ? strerror(errno) : "unexpected end of file");
  return HMC_OK;
}

static hmc_status read_array(FILE *f, uint64_t file_size, const char *path,
                             hmcrt_npy *out, char *error, size_t error_size) {
  uint8_t prefix[12];
  if (file_size < 10)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "not a .npy file (only %llu bytes)",
                    (unsigned long long)file_size);
  hmc_status st = read_exact(f, prefix, 10, "header", path, error, error_size);
  if (st != HMC_OK)
    return st;
  if (memcmp(prefix, magic, sizeof(magic)) != 0)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "not a .npy file (no \\x93NUMPY magic)");
  int major = prefix[6], minor = prefix[7];
  if (major < 1 || major > 3 || minor != 0)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "unsupported .npy format version %d.%d", major, minor);
  uint64_t header_size = prefix[8] | (uint64_t)prefix[9] << 8;
  uint64_t data_start = 10;
  if (major > 1) {
    /* Versions 2 and 3 have a 4-byte header length. */
    if (file_size < 12)
      return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                      "truncated header");
    if ((st = read_exact(f, prefix + 10, 2, "header", path, error,
                         error_size)) != HMC_OK)
      return st;
    header_size |= (uint64_t)prefix[10] << 16 | (uint64_t)prefix[11] << 24;
    data_start = 12;
  }
  if (header_size > MAX_HEADER_SIZE)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "header of %llu bytes is larger than %d",
                    (unsigned long long)header_size, MAX_HEADER_SIZE);
  if (header_size > file_size - data_start)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "truncated header: %llu bytes announced, %llu present",
                    (unsigned long long)header_size,
                    (unsigned long long)(file_size - data_start));
  data_start += header_size;

  char *text = malloc((size_t)header_size + 1);
  if (!text)
    return npy_fail(error, error_size, HMC_ERROR_OUT_OF_MEMORY, path,
                    "out of memory reading the header");
  header h;
  st = read_exact(f, text, (size_t)header_size, "header", path, error,
                  error_size);
  if (st == HMC_OK)
    st = parse_header(text, (size_t)header_size, &h, path, error, error_size);
  free(text);
  if (st != HMC_OK)
    return st;

  int overflow;
  size_t bytes = array_bytes(h.dtype, h.rank, h.shape, &overflow);
  char shape[200];
  format_tuple(h.rank, h.shape, shape, sizeof(shape));
  if (overflow)
    return npy_fail(error, error_size, HMC_ERROR_SHAPE, path,
                    "shape %s is too large", shape);
  uint64_t present = file_size - data_start;
  if (bytes > present)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "truncated data: shape %s of %s needs %zu bytes, the "
                    "file has %llu",
                    shape, hmcrt_dtype_name(h.dtype), bytes,
                    (unsigned long long)present);
  if (bytes < present)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "%llu bytes of unexpected data after the %s array",
                    (unsigned long long)(present - bytes), shape);

  uint8_t *data = malloc(bytes > 0 ? bytes : 1);
  if (!data)
    return npy_fail(error, error_size, HMC_ERROR_OUT_OF_MEMORY, path,
                    "out of memory reading %zu bytes", bytes);
  if ((st = read_exact(f, data, bytes, "data", path, error, error_size)) !=
      HMC_OK) {
    free(data);
    return st;
  }
  if (h.dtype == HMC_DTYPE_BOOL)
    for (size_t i = 0; i < bytes; i++)
      if (data[i] > 1) {
        int value = data[i];
        free(data);
        return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                        "bool element %zu has value %d, expected 0 or 1", i,
                        value);
      }
  out->dtype = h.dtype;
  out->rank = h.rank;
  memcpy(out->shape, h.shape, sizeof(h.shape));
  out->data = data;
  out->size_bytes = bytes;
  return HMC_OK;
}

hmc_status hmcrt_npy_read(const char *path, hmcrt_npy *out, char *error,
                          size_t error_size) {
  if (!path || !out)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "npy_read: %s is NULL", path ? "out" : "path");
  memset(out, 0, sizeof(*out));
  FILE *f = fopen(path, "rb");
  if (!f)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "cannot open: %s", strerror(errno));
  struct stat st;
  hmc_status status;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
    status = npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                      "not a regular file");
  else
    status = read_array(f, (uint64_t)st.st_size, path, out, error, error_size);
  fclose(f);
  return status;
}

void hmcrt_npy_free(hmcrt_npy *npy) {
  if (!npy)
    return;
  free(npy->data);
  npy->data = NULL;
  npy->size_bytes = 0;
}

/* ---- Writer ------------------------------------------------------------ */

hmc_status hmcrt_npy_write(const char *path, const hmc_tensor *tensor,
                           char *error, size_t error_size) {
  if (!path || !tensor)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "npy_write: %s is NULL", path ? "tensor" : "path");
  size_t i = 0;
  while (i < NUM_DTYPES && dtypes[i].dtype != tensor->dtype)
    i++;
  if (i == NUM_DTYPES)
    return npy_fail(error, error_size, HMC_ERROR_DTYPE, path,
                    "cannot write dtype %d", (int)tensor->dtype);
  if (tensor->rank < 0 || tensor->rank > HMC_MAX_RANK)
    return npy_fail(error, error_size, HMC_ERROR_SHAPE, path,
                    "cannot write rank %d", tensor->rank);
  int overflow;
  size_t bytes =
      array_bytes(tensor->dtype, tensor->rank, tensor->shape, &overflow);
  char shape[200];
  format_tuple(tensor->rank, tensor->shape, shape, sizeof(shape));
  if (overflow)
    return npy_fail(error, error_size, HMC_ERROR_SHAPE, path,
                    "cannot write shape %s", shape);
  if (tensor->size_bytes < bytes || (!tensor->data && bytes > 0))
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "shape %s of %s needs %zu bytes, the tensor has %zu%s",
                    shape, hmcrt_dtype_name(tensor->dtype), bytes,
                    tensor->size_bytes, tensor->data ? "" : " and no data");

  /* Version 1.0 header, padded with spaces so the data starts 64-byte
   * aligned, as numpy writes it. */
  char text[320]; /* the longest header (8 dims of 19 digits) pads to 256 */
  memcpy(text, magic, sizeof(magic));
  text[6] = 1;
  text[7] = 0;
  int n = snprintf(text + 10, sizeof(text) - 10,
                   "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                   dtypes[i].descr, shape);
  size_t total = 10 + (size_t)n + 1;
  size_t padded = (total + 63) / 64 * 64;
  memset(text + 10 + n, ' ', padded - total);
  text[padded - 1] = '\n';
  size_t header_size = padded - 10;
  text[8] = (char)(header_size & 0xff);
  text[9] = (char)(header_size >> 8);

  FILE *f = fopen(path, "wb");
  if (!f)
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "cannot create: %s", strerror(errno));
  int ok = fwrite(text, 1, padded, f) == padded &&
           (bytes == 0 || fwrite(tensor->data, 1, bytes, f) == bytes);
  int saved_errno = errno;
  ok = fclose(f) == 0 && ok;
  if (!ok) {
    remove(path);
    return npy_fail(error, error_size, HMC_ERROR_INVALID_ARGUMENT, path,
                    "write failed: %s", strerror(saved_errno));
  }
  return HMC_OK;
}
