#include "block_cache.h"

#include <stdint.h>
#include <stdlib.h>

/* Every block starts with this header, so free can tell a cached block from
 * a plain one whatever context it is called with. */
struct hmcrt_block {
  hmcrt_block_cache *owner; /* NULL: a plain allocation */
  size_t capacity;          /* usable bytes after the header */
  hmcrt_block *next;        /* in the owner's free list */
  const void *thread;       /* the thread that freed it last */
};

/* A whole alignment unit keeps the data aligned. */
#define HEADER_SIZE HMCRT_BLOCK_ALIGN
_Static_assert(sizeof(hmcrt_block) <= HEADER_SIZE, "block header too large");

/* Halide may read a few bytes past the end of an allocation. */
#define TAIL_SLACK 8

/* Identifies the calling thread: the address of its own variable. */
static _Thread_local char thread_token;

static void *data_of(hmcrt_block *b) { return (uint8_t *)b + HEADER_SIZE; }

static hmcrt_block *block_of(void *ptr) {
  return (hmcrt_block *)((uint8_t *)ptr - HEADER_SIZE);
}

void hmcrt_block_cache_init(hmcrt_block_cache *cache) {
  /* The critical sections are a few list steps: spinning briefly beats
   * sleeping in the kernel, which stalled parallel loops measurably. */
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
  pthread_mutex_init(&cache->mutex, &attr);
  pthread_mutexattr_destroy(&attr);
  cache->free = NULL;
}

void hmcrt_block_cache_destroy(hmcrt_block_cache *cache) {
  for (hmcrt_block *b = cache->free, *next; b; b = next) {
    next = b->next;
    free(b);
  }
  cache->free = NULL;
  pthread_mutex_destroy(&cache->mutex);
}

/* Takes the smallest free block that holds capacity bytes, preferring one
 * this thread freed: its lines are likely still in this core's cache. If
 * none fits, *evict gets the largest free block (too small): the new block
 * replaces it, so the cache never holds more blocks than were in use at
 * once. */
static hmcrt_block *take_best_fit(hmcrt_block_cache *cache, size_t capacity,
                                  hmcrt_block **evict) {
  hmcrt_block **best = NULL, **own = NULL, **largest = NULL;
  for (hmcrt_block **link = &cache->free; *link; link = &(*link)->next) {
    size_t c = (*link)->capacity;
    if (c >= capacity && (!best || c < (*best)->capacity))
      best = link;
    if (c >= capacity && (*link)->thread == &thread_token &&
        (!own || c < (*own)->capacity))
      own = link;
    if (!largest || c > (*largest)->capacity)
      largest = link;
  }
  if (own)
    best = own;
  hmcrt_block **take = best ? best : largest;
  if (!take)
    return NULL;
  hmcrt_block *b = *take;
  *take = b->next;
  if (best)
    return b;
  *evict = b;
  return NULL;
}

void *hmcrt_block_alloc(hmcrt_block_cache *cache, size_t size) {
  if (size > SIZE_MAX / 2)
    return NULL;
  size_t capacity = (size + TAIL_SLACK + HMCRT_BLOCK_ALIGN - 1) &
                    ~(size_t)(HMCRT_BLOCK_ALIGN - 1);
  if (cache) {
    hmcrt_block *evict = NULL;
    pthread_mutex_lock(&cache->mutex);
    hmcrt_block *b = take_best_fit(cache, capacity, &evict);
    pthread_mutex_unlock(&cache->mutex);
    if (b)
      return data_of(b);
    free(evict);
  }
  void *base = NULL;
  if (posix_memalign(&base, HMCRT_BLOCK_ALIGN, HEADER_SIZE + capacity) != 0)
    return NULL;
  hmcrt_block *b = base;
  b->owner = cache;
  b->capacity = capacity;
  b->next = NULL;
  return data_of(b);
}

void hmcrt_block_free(void *ptr) {
  if (!ptr)
    return;
  hmcrt_block *b = block_of(ptr);
  hmcrt_block_cache *cache = b->owner;
  if (!cache) {
    free(b);
    return;
  }
  b->thread = &thread_token;
  pthread_mutex_lock(&cache->mutex);
  b->next = cache->free;
  cache->free = b;
  pthread_mutex_unlock(&cache->mutex);
}
