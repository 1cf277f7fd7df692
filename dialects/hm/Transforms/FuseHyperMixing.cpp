#include "hm/Passes.h"
namespace hm {
#define GEN_PASS_DEF_FUSEHYPERMIXING
#include "hm/Passes.h.inc"
namespace {
struct FuseHyperMixingPass : impl::FuseHyperMixingBase<FuseHyperMixingPass> {
  using FuseHyperMixingBase::FuseHyperMixingBase;
  void runOnOperation() override {}
};
} // namespace
} // namespace hm
