/* A per-handle cache of the kernels' heap blocks (Halide's halide_malloc):
 * blocks are kept after free and handed out again, so once the largest shape
 * has run, runs no longer call malloc. */
#ifndef HMCRT_BLOCK_CACHE_H
#define HMCRT_BLOCK_CACHE_H

#include <pthread.h>
#include <stddef.h>

/* Halide's default allocator aligns to 64 bytes; kernels may rely on it. */
#define HMCRT_BLOCK_ALIGN 64

typedef struct hmcrt_block hmcrt_block;

typedef struct hmcrt_block_cache {
  pthread_mutex_t mutex; /* parallel tasks allocate concurrently */
  hmcrt_block *free;     /* unused blocks, unordered */
} hmcrt_block_cache;

void hmcrt_block_cache_init(hmcrt_block_cache *cache);
/* Frees the cached blocks; every block must have been given back. */
void hmcrt_block_cache_destroy(hmcrt_block_cache *cache);

/* cache == NULL: a plain aligned allocation, freed on hmcrt_block_free.
 * Returns NULL when out of memory. */
void *hmcrt_block_alloc(hmcrt_block_cache *cache, size_t size);
/* Returns the block to the cache it came from (or to the system). */
void hmcrt_block_free(void *ptr);

#endif /* HMCRT_BLOCK_CACHE_H */
