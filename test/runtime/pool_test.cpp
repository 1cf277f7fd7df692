// The runtime's thread pool on its own: callers that share one pool (the
// compiler's JIT pool is process-wide) and invalid sizes.
#include <HalideRuntime.h>
extern "C" {
#include "pool.h"
}

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

namespace {

struct Counts {
  std::vector<std::atomic<int>> runs;
  explicit Counts(int n) : runs(n) {}
};

// Long enough (a few microseconds) that two callers' loops overlap.
int countTask(void *, int i, uint8_t *closure) {
  volatile double sink = 0;
  for (int k = 0; k < 2000; k++)
    sink = sink + k;
  reinterpret_cast<Counts *>(closure)->runs[i]++;
  return 0;
}

TEST(Pool, RefusesFewerThanOneThread) {
  hmcrt_pool *pool = nullptr;
  EXPECT_EQ(hmcrt_pool_create(0, &pool), EINVAL);
  EXPECT_EQ(pool, nullptr);
}

// Loops posted by two threads at once each run every task exactly once: a
// loop that finds the pool busy runs on its caller.
TEST(Pool, CallersSharingAPoolEachRunEveryTaskOnce) {
  hmcrt_pool *pool = nullptr;
  ASSERT_EQ(hmcrt_pool_create(3, &pool), 0);
  const int rounds = 100;
  auto caller = [&](Counts *counts, int *result) {
    int n = static_cast<int>(counts->runs.size());
    for (int round = 0; round < rounds && *result == 0; round++)
      *result = hmcrt_pool_par_for(pool, nullptr, countTask, 0, n,
                                   reinterpret_cast<uint8_t *>(counts));
  };
  Counts a(97), b(131);
  int resultA = 0, resultB = 0;
  std::thread first(caller, &a, &resultA), second(caller, &b, &resultB);
  first.join();
  second.join();
  hmcrt_pool_destroy(pool);
  EXPECT_EQ(resultA, 0);
  EXPECT_EQ(resultB, 0);
  for (Counts *counts : {&a, &b})
    for (size_t i = 0; i < counts->runs.size(); i++)
      ASSERT_EQ(counts->runs[i], rounds) << i;
}

} // namespace
