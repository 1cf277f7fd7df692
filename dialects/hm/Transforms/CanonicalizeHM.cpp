#include "hm/Passes.h"
namespace hm {
#define GEN_PASS_DEF_CANONICALIZEHM
#include "hm/Passes.h.inc"
namespace {
struct CanonicalizeHMPass : impl::CanonicalizeHMBase<CanonicalizeHMPass> {
  void runOnOperation() override {}
};
} // namespace
} // namespace hm
