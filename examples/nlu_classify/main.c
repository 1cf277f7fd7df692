/* Classifies sentences of token ids with the HyperMixer classifier compiled by
 * hmc_add_model(classifier ...).
 *
 *   nlu_classify SENTENCES.txt
 *
 * Each line of the file is one sentence: whitespace-separated token ids. The
 * sentences run as one batch, padded to the longest (attention_mask 1 = real
 * token, 0 = padding). Prints each sentence's logits and predicted class. */
#include "classifier.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int64_t *ids;
  size_t length, capacity;
} sentence;

typedef struct {
  sentence *items;
  size_t count, capacity;
} batch;

static void *grow(void *array, size_t *capacity, size_t element_size) {
  size_t next = *capacity ? 2 * *capacity : 16;
  void *bigger = realloc(array, next * element_size);
  if (bigger)
    *capacity = next;
  return bigger;
}

static void free_batch(batch *b) {
  for (size_t i = 0; i < b->count; ++i)
    free(b->items[i].ids);
  free(b->items);
}

/* Reads one sentence per non-empty line; returns 0 on success. */
static int read_sentences(const char *path, batch *out) {
  FILE *file = fopen(path, "r");
  if (!file) {
    fprintf(stderr, "nlu_classify: %s: %s\n", path, strerror(errno));
    return 1;
  }
  char line[1 << 16];
  int rc = 0;
  for (size_t line_number = 1; !rc && fgets(line, sizeof line, file);
       ++line_number) {
    sentence s = {0};
    char *cursor = line;
    for (;;) {
      while (*cursor == ' ' || *cursor == '\t' || *cursor == '\r' ||
             *cursor == '\n')
        ++cursor;
      if (!*cursor)
        break;
      char *end;
      errno = 0;
      long long id = strtoll(cursor, &end, 10);
      if (end == cursor || errno) {
        fprintf(stderr,
                "nlu_classify: %s:%zu: expected a token id at '%.16s'\n", path,
                line_number, cursor);
        rc = 1;
        break;
      }
      if (s.length == s.capacity) {
        int64_t *ids = grow(s.ids, &s.capacity, sizeof *ids);
        if (!ids) {
          rc = 1;
          break;
        }
        s.ids = ids;
      }
      s.ids[s.length++] = id;
      cursor = end;
    }
    if (rc || !s.length) {
      free(s.ids);
      continue;
    }
    if (out->count == out->capacity) {
      sentence *items = grow(out->items, &out->capacity, sizeof *items);
      if (!items) {
        free(s.ids);
        rc = 1;
        break;
      }
      out->items = items;
    }
    out->items[out->count++] = s;
  }
  fclose(file);
  if (!rc && !out->count) {
    fprintf(stderr, "nlu_classify: %s: no sentences\n", path);
    rc = 1;
  }
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: nlu_classify SENTENCES.txt\n");
    return 2;
  }
  batch sentences = {0};
  if (read_sentences(argv[1], &sentences)) {
    free_batch(&sentences);
    return 1;
  }
  size_t B = sentences.count, N = 0;
  for (size_t b = 0; b < B; ++b)
    if (sentences.items[b].length > N)
      N = sentences.items[b].length;

  int64_t *ids = calloc(B * N, sizeof *ids);
  int64_t *mask = calloc(B * N, sizeof *mask);
  classifier_handle *handle = NULL;
  float *logits = NULL;
  int rc = 1;
  if (!ids || !mask) {
    fprintf(stderr, "nlu_classify: out of memory\n");
    goto done;
  }
  for (size_t b = 0; b < B; ++b)
    for (size_t n = 0; n < sentences.items[b].length; ++n) {
      ids[b * N + n] = sentences.items[b].ids[n];
      mask[b * N + n] = 1;
    }

  hmc_tensor inputs[classifier_NUM_INPUTS] = {0};
  inputs[classifier_INPUT_input_ids] =
      (hmc_tensor){.dtype = HMC_DTYPE_INT64,
                   .rank = 2,
                   .shape = {(int64_t)B, (int64_t)N},
                   .data = ids,
                   .size_bytes = B * N * sizeof *ids};
  inputs[classifier_INPUT_attention_mask] =
      (hmc_tensor){.dtype = HMC_DTYPE_INT64,
                   .rank = 2,
                   .shape = {(int64_t)B, (int64_t)N},
                   .data = mask,
                   .size_bytes = B * N * sizeof *mask};
  hmc_tensor outputs[classifier_NUM_OUTPUTS] = {0};

  if (classifier_create(NULL, &handle) != HMC_OK) {
    fprintf(stderr, "nlu_classify: create failed: %s\n",
            classifier_last_error(NULL));
    goto done;
  }
  if (classifier_output_shapes(handle, inputs, classifier_NUM_INPUTS, outputs,
                               classifier_NUM_OUTPUTS) != HMC_OK) {
    fprintf(stderr, "nlu_classify: %s\n", classifier_last_error(handle));
    goto done;
  }
  hmc_tensor *out = &outputs[classifier_OUTPUT_logits];
  size_t classes = (size_t)out->shape[1];
  out->size_bytes = B * classes * sizeof(float);
  logits = malloc(out->size_bytes);
  out->data = logits;
  if (!logits) {
    fprintf(stderr, "nlu_classify: out of memory\n");
    goto done;
  }
  if (classifier_run(handle, inputs, classifier_NUM_INPUTS, outputs,
                     classifier_NUM_OUTPUTS) != HMC_OK) {
    fprintf(stderr, "nlu_classify: %s\n", classifier_last_error(handle));
    goto done;
  }

  for (size_t b = 0; b < B; ++b) {
    const float *row = logits + b * classes;
    size_t best = 0;
    printf("sentence %zu (%zu tokens): logits", b, sentences.items[b].length);
    for (size_t c = 0; c < classes; ++c) {
      printf(" %.6f", row[c]);
      if (row[c] > row[best])
        best = c;
    }
    printf("  class %zu\n", best);
  }
  rc = 0;

done:
  free(logits);
  classifier_destroy(handle);
  free(ids);
  free(mask);
  free_batch(&sentences);
  return rc;
}
