/* The monotonic clock in nanoseconds: the pool's spin deadlines and the
 * executor's profile (HMC_PROFILE). */
#ifndef HMCRT_CLOCK_H
#define HMCRT_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t hmcrt_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#endif /* HMCRT_CLOCK_H */
