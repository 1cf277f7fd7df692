/* Transcribes a WAV file with a HyperConformer encoder compiled by
 * hmc_add_model(asr ...), greedy CTC decoding and a token vocabulary.
 *
 *   asr_transcribe VOCAB.txt INPUT.wav
 *
 * INPUT.wav must be 16 kHz mono 16-bit PCM. VOCAB.txt has one token piece
 * per line, line i = token id i (a SentencePiece .vocab file works). Prints
 * the text.
 *
 * CMakeLists.txt builds this program only when the encoder model exists
 * (README.md); run_model below is the one place that knows the model's
 * interface. */
#include "asr.h"
#include "hmc/ctc.h"
#include "wav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SAMPLE_RATE = 16000 };

static size_t dtype_size(hmc_dtype dtype) {
  return dtype == HMC_DTYPE_BOOL                                  ? 1
         : dtype == HMC_DTYPE_FLOAT64 || dtype == HMC_DTYPE_INT64 ? 8
                                                                  : 4;
}

/* Runs the encoder on one utterance; on success *log_probs (malloc'ed) holds
 * *frames x *vocab float32 scores, row-major.
 *
 * PROVISIONAL: the HyperConformer ONNX export is not fixed yet. This assumes
 * its only input is the waveform, float32 [batch, samples], and its first
 * output the CTC log-probabilities, float32 [batch, frames, vocab]; it checks
 * that against the compiled library and says so when the model differs. */
static int run_model(const float *samples, size_t count, float **log_probs,
                     int64_t *frames, int64_t *vocab) {
  const hmc_library_v1 *library = asr_library();
  if (library->num_inputs != 1 ||
      library->inputs[0].dtype != HMC_DTYPE_FLOAT32 ||
      library->inputs[0].rank != 2 ||
      library->outputs[0].dtype != HMC_DTYPE_FLOAT32 ||
      library->outputs[0].rank != 3) {
    fprintf(stderr,
            "asr_transcribe: run_model expects one input float32 [batch, "
            "samples] and output 0 float32 [batch, frames, vocab]; the "
            "compiled model differs (%d inputs): adapt run_model in main.c\n",
            library->num_inputs);
    return 1;
  }
  asr_handle *handle = NULL;
  if (asr_create(NULL, &handle) != HMC_OK) {
    fprintf(stderr, "asr_transcribe: %s\n", asr_last_error(NULL));
    return 1;
  }
  hmc_tensor inputs[asr_NUM_INPUTS] = {0};
  inputs[0] = (hmc_tensor){.dtype = HMC_DTYPE_FLOAT32,
                           .rank = 2,
                           .shape = {1, (int64_t)count},
                           .data = (void *)samples,
                           .size_bytes = count * sizeof *samples};
  hmc_tensor outputs[asr_NUM_OUTPUTS] = {0};
  int rc = 1;
  if (asr_output_shapes(handle, inputs, asr_NUM_INPUTS, outputs,
                        asr_NUM_OUTPUTS) != HMC_OK)
    goto fail;
  /* The caller provides every output, even those not used here. */
  for (int i = 0; i < asr_NUM_OUTPUTS; i++) {
    size_t bytes = dtype_size(outputs[i].dtype);
    for (int d = 0; d < outputs[i].rank; d++)
      bytes *= (size_t)outputs[i].shape[d];
    outputs[i].data = malloc(bytes ? bytes : 1);
    outputs[i].size_bytes = bytes;
    if (!outputs[i].data) {
      fprintf(stderr, "asr_transcribe: out of memory\n");
      goto done;
    }
  }
  if (asr_run(handle, inputs, asr_NUM_INPUTS, outputs, asr_NUM_OUTPUTS) !=
      HMC_OK)
    goto fail;
  *frames = outputs[0].shape[1];
  *vocab = outputs[0].shape[2];
  *log_probs = outputs[0].data;
  outputs[0].data = NULL;
  rc = 0;
  goto done;

fail:
  fprintf(stderr, "asr_transcribe: %s\n", asr_last_error(handle));
done:
  for (int i = 0; i < asr_NUM_OUTPUTS; i++)
    free(outputs[i].data);
  asr_destroy(handle);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: asr_transcribe VOCAB.txt INPUT.wav\n");
    return 2;
  }
  const char *vocab_path = argv[1], *wav_path = argv[2];
  char error[512];
  wav_audio audio = {0};
  hmcrt_vocab *vocab = NULL;
  float *log_probs = NULL;
  int64_t *ids = NULL;
  char *text = NULL;
  int rc = 1;

  if (wav_read(wav_path, &audio, error, sizeof error)) {
    fprintf(stderr, "asr_transcribe: %s\n", error);
    goto done;
  }
  if (audio.sample_rate != SAMPLE_RATE) {
    fprintf(stderr,
            "asr_transcribe: %s: %u Hz; the model needs %d Hz (resample it, "
            "e.g. sox IN.wav -r 16000 OUT.wav)\n",
            wav_path, (unsigned)audio.sample_rate, SAMPLE_RATE);
    goto done;
  }
  if (!audio.count) {
    fprintf(stderr, "asr_transcribe: %s: no samples\n", wav_path);
    goto done;
  }
  if (hmcrt_vocab_load(vocab_path, &vocab, error, sizeof error) != HMC_OK) {
    fprintf(stderr, "asr_transcribe: %s\n", error);
    goto done;
  }

  int64_t frames, vocab_size;
  if (run_model(audio.samples, audio.count, &log_probs, &frames, &vocab_size))
    goto done;
  if (vocab_size != hmcrt_vocab_size(vocab)) {
    fprintf(
        stderr, "asr_transcribe: %s has %lld tokens, the model outputs %lld\n",
        vocab_path, (long long)hmcrt_vocab_size(vocab), (long long)vocab_size);
    goto done;
  }

  if (frames <= 0) {
    fprintf(stderr, "asr_transcribe: %s: too short, the model gave no frames\n",
            wav_path);
    goto done;
  }
  /* Greedy CTC never yields more tokens than frames. */
  int64_t count;
  ids = malloc((size_t)frames * sizeof *ids);
  if (!ids || hmcrt_ctc_greedy(log_probs, frames, vocab_size, HMCRT_CTC_BLANK,
                               ids, frames, &count) != HMC_OK) {
    fprintf(stderr, "asr_transcribe: CTC decoding failed\n");
    goto done;
  }
  size_t length;
  hmcrt_vocab_detokenize(vocab, ids, count, NULL, 0, &length);
  text = malloc(length + 1);
  if (!text || hmcrt_vocab_detokenize(vocab, ids, count, text, length + 1,
                                      &length) != HMC_OK) {
    fprintf(stderr, "asr_transcribe: detokenising failed\n");
    goto done;
  }
  printf("%s\n", text);
  rc = 0;

done:
  free(text);
  free(ids);
  free(log_probs);
  hmcrt_vocab_free(vocab);
  wav_free(&audio);
  return rc;
}
