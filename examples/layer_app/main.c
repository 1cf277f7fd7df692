/* Runs the HyperMixing layer compiled by hmc_add_model(layer ...) on a fixed
 * input (B=1, N=50, d=64, x[i] = sin(0.1 i), every position valid) and prints
 * the output shape and its first values. */
#include "layer.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

enum { B = 1, N = 50, D = 64 };

static int fail(const char *what, const layer_handle *handle) {
  fprintf(stderr, "layer_app: %s failed: %s\n", what, layer_last_error(handle));
  return 1;
}

int main(void) {
  static float x[B * N * D];
  static bool mask[B * N];
  for (int i = 0; i < B * N * D; ++i)
    x[i] = (float)sin(i * 0.1);
  for (int i = 0; i < B * N; ++i)
    mask[i] = true;

  hmc_tensor inputs[layer_NUM_INPUTS] = {0};
  inputs[layer_INPUT_x] = (hmc_tensor){.dtype = HMC_DTYPE_FLOAT32,
                                       .rank = 3,
                                       .shape = {B, N, D},
                                       .data = x,
                                       .size_bytes = sizeof x};
  inputs[layer_INPUT_mask] = (hmc_tensor){.dtype = HMC_DTYPE_BOOL,
                                          .rank = 2,
                                          .shape = {B, N},
                                          .data = mask,
                                          .size_bytes = sizeof mask};
  hmc_tensor outputs[layer_NUM_OUTPUTS] = {0};

  layer_handle *handle = NULL;
  if (layer_create(NULL, &handle) != HMC_OK)
    return fail("create", NULL);
  int rc = 1;
  if (layer_output_shapes(handle, inputs, layer_NUM_INPUTS, outputs,
                          layer_NUM_OUTPUTS) != HMC_OK) {
    rc = fail("output_shapes", handle);
    goto done;
  }
  hmc_tensor *y = &outputs[layer_OUTPUT_y];
  size_t count = 1;
  for (int i = 0; i < y->rank; ++i)
    count *= (size_t)y->shape[i];
  y->size_bytes = count * sizeof(float);
  y->data = malloc(y->size_bytes);
  if (!y->data) {
    fprintf(stderr, "layer_app: out of memory\n");
    goto done;
  }
  if (layer_run(handle, inputs, layer_NUM_INPUTS, outputs, layer_NUM_OUTPUTS) !=
      HMC_OK) {
    rc = fail("run", handle);
    goto done;
  }

  printf("y shape:");
  for (int i = 0; i < y->rank; ++i)
    printf(" %lld", (long long)y->shape[i]);
  printf("\ny[0:4]:");
  const float *values = y->data;
  for (int i = 0; i < 4 && (size_t)i < count; ++i)
    printf(" %.6f", values[i]);
  printf("\n");
  rc = 0;

done:
  free(outputs[layer_OUTPUT_y].data);
  layer_destroy(handle);
  return rc;
}
