/* 16-bit PCM mono WAV reader (see wav.h). */
#include "wav.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAVE_FORMAT_PCM 0x0001
#define WAVE_FORMAT_IEEE_FLOAT 0x0003
#define WAVE_FORMAT_ALAW 0x0006
#define WAVE_FORMAT_MULAW 0x0007
#define WAVE_FORMAT_EXTENSIBLE 0xfffe

/* KSDATAFORMAT_SUBTYPE_PCM after its first two bytes (the format tag). */
static const uint8_t pcm_guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10,
                                          0x00, 0x80, 0x00, 0x00, 0xaa,
                                          0x00, 0x38, 0x9b, 0x71};

static int fail(char *error, size_t error_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *error, size_t error_size, const char *fmt, ...) {
  if (error && error_size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, error_size, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* A chunk id for messages: printable ASCII as is, other bytes as '?'. */
static void chunk_name(const uint8_t *id, char name[5]) {
  for (int i = 0; i < 4; i++)
    name[i] = id[i] >= 0x20 && id[i] < 0x7f ? (char)id[i] : '?';
  name[4] = '\0';
}

static const char *format_name(uint16_t tag) {
  switch (tag) {
  case WAVE_FORMAT_IEEE_FLOAT:
    return "IEEE float";
  case WAVE_FORMAT_ALAW:
    return "A-law";
  case WAVE_FORMAT_MULAW:
    return "mu-law";
  default:
    return "compressed";
  }
}

/* Checks the fmt chunk (body of `size` bytes); sets *rate. */
static int check_format(const uint8_t *fmt, uint32_t size, uint32_t *rate,
                        char *error, size_t error_size) {
  if (size < 16)
    return fail(error, error_size, "fmt chunk of %u bytes, expected 16 or more",
                size);
  uint16_t tag = le16(fmt), channels = le16(fmt + 2);
  uint16_t block_align = le16(fmt + 12), bits = le16(fmt + 14);
  *rate = le32(fmt + 4);
  if (tag == WAVE_FORMAT_EXTENSIBLE) {
    /* cbSize, valid bits, channel mask, then the subformat GUID. */
    if (size < 40 || le16(fmt + 16) < 22)
      return fail(error, error_size,
                  "WAVE_FORMAT_EXTENSIBLE fmt chunk of %u bytes, expected 40 "
                  "or more",
                  size);
    tag = le16(fmt + 24);
    if (memcmp(fmt + 26, pcm_guid_tail, sizeof pcm_guid_tail) != 0)
      return fail(error, error_size,
                  "WAVE_FORMAT_EXTENSIBLE with a non-PCM subformat; convert "
                  "to 16-bit PCM");
  }
  if (tag != WAVE_FORMAT_PCM)
    return fail(error, error_size,
                "%s samples (format tag 0x%04x); convert to 16-bit PCM",
                format_name(tag), tag);
  if (channels != 1)
    return fail(error, error_size, "%u channels; convert to mono", channels);
  if (bits != 16)
    return fail(error, error_size, "%u-bit samples; convert to 16-bit PCM",
                bits);
  if (block_align != 2)
    return fail(error, error_size, "block align %u, expected 2 for 16-bit mono",
                block_align);
  if (*rate == 0)
    return fail(error, error_size, "sample rate 0");
  return 0;
}

int wav_parse(const uint8_t *bytes, size_t size, wav_audio *out, char *error,
              size_t error_size) {
  if (error && error_size)
    error[0] = '\0';
  if (!out)
    return fail(error, error_size, "no output");
  memset(out, 0, sizeof *out);
  if (!bytes && size)
    return fail(error, error_size, "no input");
  if (size >= 4 && (!memcmp(bytes, "RIFX", 4) || !memcmp(bytes, "RF64", 4)))
    return fail(error, error_size,
                "%.4s files are not supported; convert to "
                "a RIFF/WAVE file",
                (const char *)bytes);
  if (size < 4 || memcmp(bytes, "RIFF", 4) != 0 ||
      (size >= 12 && memcmp(bytes + 8, "WAVE", 4) != 0))
    return fail(error, error_size, "not a RIFF/WAVE file");
  if (size < 12)
    return fail(error, error_size,
                "truncated RIFF header: %zu bytes, expected 12", size);
  /* Chunks end where the RIFF size says; trailing bytes are ignored. */
  uint64_t riff_end = (uint64_t)le32(bytes + 4) + 8;
  if (riff_end > size)
    return fail(error, error_size,
                "truncated file: the RIFF header claims %llu bytes, the file "
                "has %zu",
                (unsigned long long)riff_end, size);
  if (riff_end < 12)
    return fail(error, error_size, "RIFF size %u is below the WAVE header's",
                le32(bytes + 4));

  const uint8_t *fmt = NULL, *data = NULL;
  uint32_t fmt_size = 0, data_size = 0;
  size_t offset = 12;
  while (offset < riff_end) {
    char name[5];
    if (riff_end - offset < 8)
      return fail(error, error_size,
                  "truncated chunk header at offset %zu: %llu bytes left",
                  offset, (unsigned long long)(riff_end - offset));
    const uint8_t *chunk = bytes + offset;
    uint32_t chunk_size = le32(chunk + 4);
    chunk_name(chunk, name);
    uint64_t left = riff_end - offset - 8;
    if (chunk_size > left)
      return fail(error, error_size,
                  "truncated %s chunk at offset %zu: it claims %u bytes, "
                  "%llu are left",
                  !memcmp(chunk, "data", 4) ? "data" : name, offset, chunk_size,
                  (unsigned long long)left);
    if (!memcmp(chunk, "fmt ", 4) || !memcmp(chunk, "data", 4)) {
      int is_fmt = chunk[0] == 'f';
      if (is_fmt ? fmt != NULL : data != NULL)
        return fail(error, error_size, "two %s chunks",
                    is_fmt ? "fmt" : "data");
      if (is_fmt) {
        fmt = chunk + 8;
        fmt_size = chunk_size;
      } else {
        data = chunk + 8;
        data_size = chunk_size;
      }
    }
    /* Odd chunks carry a pad byte; writers often omit it on the last one. */
    uint64_t next = (uint64_t)offset + 8 + chunk_size + (chunk_size & 1);
    offset = next < riff_end ? (size_t)next : (size_t)riff_end;
  }
  if (!fmt)
    return fail(error, error_size, "no fmt chunk");
  if (!data)
    return fail(error, error_size, "no data chunk");
  uint32_t rate = 0;
  if (check_format(fmt, fmt_size, &rate, error, error_size))
    return -1;
  if (data_size % 2)
    return fail(error, error_size,
                "data chunk of %u bytes is not a whole number of 2-byte "
                "samples",
                data_size);

  size_t count = data_size / 2;
  float *samples = NULL;
  if (count) {
    samples = malloc(count * sizeof *samples);
    if (!samples)
      return fail(error, error_size, "out of memory for %zu samples", count);
  }
  for (size_t i = 0; i < count; i++)
    samples[i] = (float)(int16_t)le16(data + 2 * i) / 32768.0f;
  out->sample_rate = rate;
  out->count = count;
  out->samples = samples;
  return 0;
}

int wav_read(const char *path, wav_audio *out, char *error, size_t error_size) {
  char message[256] = "";
  if (out)
    memset(out, 0, sizeof *out);
  FILE *file = fopen(path, "rb");
  if (!file)
    return fail(error, error_size, "%s: %s", path, strerror(errno));
  /* The file's size bounds every allocation: RIFF sizes are 32-bit, so a
   * larger file cannot be a plain WAV. */
  long size = -1;
  if (fseek(file, 0, SEEK_END) == 0)
    size = ftell(file);
  if (size < 0 || fseek(file, 0, SEEK_SET) != 0) {
    fclose(file);
    return fail(error, error_size, "%s: cannot determine the size", path);
  }
  if ((uint64_t)size > UINT64_C(0xffffffff) + 8) {
    fclose(file);
    return fail(error, error_size,
                "%s: %ld bytes is larger than a RIFF/WAVE file can be", path,
                size);
  }
  uint8_t *bytes = malloc(size ? (size_t)size : 1);
  if (!bytes) {
    fclose(file);
    return fail(error, error_size, "%s: out of memory", path);
  }
  size_t got = fread(bytes, 1, (size_t)size, file);
  int read_error = ferror(file);
  fclose(file);
  int rc = read_error || got != (size_t)size
               ? fail(message, sizeof message, "read error")
               : wav_parse(bytes, got, out, message, sizeof message);
  free(bytes);
  if (rc)
    return fail(error, error_size, "%s: %s", path, message);
  return 0;
}

void wav_free(wav_audio *audio) {
  if (!audio)
    return;
  free(audio->samples);
  memset(audio, 0, sizeof *audio);
}
