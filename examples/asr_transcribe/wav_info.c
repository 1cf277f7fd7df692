/* Prints what asr_transcribe would read from a WAV file.
 *
 *   wav_info INPUT.wav
 *
 * Reads the file with the example's WAV reader (16-bit PCM mono, any sample
 * rate) and prints its sample rate, sample count and duration, one
 * "key: value" per line; a file the reader rejects gives its message and
 * exit status 1. */
#include "wav.h"

#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: wav_info INPUT.wav\n");
    return 2;
  }
  wav_audio audio;
  char error[512];
  if (wav_read(argv[1], &audio, error, sizeof error)) {
    fprintf(stderr, "wav_info: %s\n", error);
    return 1;
  }
  printf("sample_rate: %u\n", (unsigned)audio.sample_rate);
  printf("samples: %zu\n", audio.count);
  printf("duration_s: %.3f\n", (double)audio.count / audio.sample_rate);
  wav_free(&audio);
  return 0;
}
