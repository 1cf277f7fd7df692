/* Greedy CTC decoding (see hmc/ctc.h). */
#include <stdint.h>

#include "hmc/ctc.h"

/* Argmax of one frame, lowest id on ties; -1 if the frame holds a NaN
 * (NaN compares false, so it would otherwise silently lose or win). */
static int64_t frame_argmax(const float *row, int64_t vocab_size) {
  int64_t best = 0;
  float best_score = row[0];
  if (best_score != best_score)
    return -1;
  for (int64_t v = 1; v < vocab_size; v++) {
    float score = row[v];
    if (score > best_score) {
      best = v;
      best_score = score;
    } else if (score != score) {
      return -1;
    }
  }
  return best;
}

hmc_status hmcrt_ctc_greedy_batch(const float *log_probs, int64_t batch,
                                  int64_t num_frames, int64_t vocab_size,
                                  const int64_t *lengths, int64_t blank,
                                  int64_t *tokens, int64_t capacity,
                                  int64_t *counts, int64_t *total) {
  if (total)
    *total = 0;
  if (!log_probs || !counts || !total || (!tokens && capacity > 0) ||
      capacity < 0 || batch <= 0 || num_frames <= 0 || vocab_size <= 0 ||
      blank < 0 || blank >= vocab_size)
    return HMC_ERROR_INVALID_ARGUMENT;
  /* A tensor this large cannot exist; the check keeps the offsets exact. */
  if ((uint64_t)num_frames > SIZE_MAX / (uint64_t)vocab_size / (uint64_t)batch)
    return HMC_ERROR_INVALID_ARGUMENT;
  for (int64_t b = 0; b < batch; b++) {
    counts[b] = 0;
    if (lengths && (lengths[b] < 0 || lengths[b] > num_frames))
      return HMC_ERROR_INVALID_ARGUMENT;
  }

  int64_t written = 0;
  for (int64_t b = 0; b < batch; b++) {
    const float *frames =
        log_probs + (size_t)b * (size_t)num_frames * (size_t)vocab_size;
    int64_t length = lengths ? lengths[b] : num_frames;
    int64_t previous = -1;
    for (int64_t t = 0; t < length; t++) {
      int64_t token =
          frame_argmax(frames + (size_t)t * (size_t)vocab_size, vocab_size);
      if (token < 0) {
        for (int64_t c = 0; c <= b; c++)
          counts[c] = 0;
        *total = 0;
        return HMC_ERROR_INVALID_ARGUMENT;
      }
      if (token != previous && token != blank) {
        /* Past capacity keep counting, so the caller learns the size. */
        if (written < capacity)
          tokens[written] = token;
        written++;
        counts[b]++;
      }
      previous = token;
    }
  }
  *total = written;
  return written > capacity ? HMC_ERROR_BUFFER_TOO_SMALL : HMC_OK;
}

hmc_status hmcrt_ctc_greedy(const float *log_probs, int64_t num_frames,
                            int64_t vocab_size, int64_t blank, int64_t *tokens,
                            int64_t capacity, int64_t *num_tokens) {
  int64_t count;
  return hmcrt_ctc_greedy_batch(log_probs, 1, num_frames, vocab_size, NULL,
                                blank, tokens, capacity, &count, num_tokens);
}
