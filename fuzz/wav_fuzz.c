/* bytes -> the WAV reader of examples/asr_transcribe (wav_parse).
 *
 * Every rejected input must come with a message and leave the result empty;
 * an accepted one must hold one sample per two data bytes, all in [-1, 1). */
#include "wav.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wav_audio audio;
  char error[256];
  error[0] = '\0';
  if (wav_parse(data, size, &audio, error, sizeof error)) {
    if (error[0] == '\0' || audio.samples || audio.count)
      abort();
    return 0;
  }
  if (audio.sample_rate == 0 || 2 * audio.count > size ||
      (audio.count == 0) != (audio.samples == NULL))
    abort();
  for (size_t i = 0; i < audio.count; i++)
    if (!(audio.samples[i] >= -1.0f && audio.samples[i] < 1.0f))
      abort();
  wav_free(&audio);
  return 0;
}
