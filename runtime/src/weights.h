/* Read-only mapping of an external weights file. */
#ifndef HMCRT_WEIGHTS_H
#define HMCRT_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "hmc/api_types.h"

typedef struct hmcrt_weights_map {
  void *addr; /* NULL when nothing is mapped */
  size_t size;
} hmcrt_weights_map;

/* Maps path, which must hold exactly expected_size bytes. On failure writes
 * a message naming the file into error. */
hmc_status hmcrt_weights_map_file(const char *path, uint64_t expected_size,
                                  hmcrt_weights_map *out, char *error,
                                  size_t error_size);

/* The default external weights file: NAME.weights in the folder of the
 * shared object (or executable) that contains anchor. */
hmc_status hmcrt_weights_default_path(const void *anchor, const char *name,
                                      char *path, size_t path_size, char *error,
                                      size_t error_size);

void hmcrt_weights_unmap(hmcrt_weights_map *map);

/* Maps every page of the weights into the process now (they are file-backed
 * and would otherwise fault in on first use): runs then take no page faults
 * on them, as a model's first run or a token's first embedding lookup
 * would. */
void hmcrt_weights_prefault(const void *addr, size_t size);

#endif /* HMCRT_WEIGHTS_H */
