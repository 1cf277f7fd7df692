/* A reader for 16-bit PCM mono WAV files. C11, no dependencies.
 *
 * It accepts RIFF/WAVE files whose fmt chunk is PCM (format tag 1, or
 * WAVE_FORMAT_EXTENSIBLE with the PCM subformat), 1 channel, 16 bits per
 * sample, at any sample rate (reported, not checked). Chunks other than fmt
 * and data (LIST, fact, ...) are skipped, with the pad byte after an odd-sized
 * chunk. Nothing in the input is trusted: every size is checked against the
 * bytes present before it is used, so a malformed file gives a message and
 * never a large allocation or an out-of-bounds read. */
#ifndef ASR_WAV_H
#define ASR_WAV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wav_audio {
  uint32_t sample_rate; /* Hz */
  size_t count;         /* samples */
  float *samples;       /* malloc'ed, count values in [-1, 1); NULL if 0 */
} wav_audio;

/* Parses a whole WAV file held in memory. Returns 0 and fills *out, or -1
 * with *out zeroed and a message in error (when error_size > 0). */
int wav_parse(const uint8_t *bytes, size_t size, wav_audio *out, char *error,
              size_t error_size);

/* wav_parse on the contents of path; messages start with "path: ". */
int wav_read(const char *path, wav_audio *out, char *error, size_t error_size);

/* Frees the samples and zeroes *audio. */
void wav_free(wav_audio *audio);

#ifdef __cplusplus
}
#endif

#endif /* ASR_WAV_H */
