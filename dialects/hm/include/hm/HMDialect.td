//===- HMDialect.td - the hm dialect ------------------------*- tablegen -*-===//
//
// Tensor-level operators of HyperMixer and HyperConformer models, with the
// fused token-mixing operator hm.hyper_mix at its centre.
//
//===----------------------------------------------------------------------===//

#ifndef HM_DIALECT_TD
#define HM_DIALECT_TD

include "mlir/IR/OpBase.td"

def HM_Dialect : Dialect {
  let name = "hm";
  let cppNamespace = "::hm";
  let summary = "HyperMixing model dialect";
  let description = [{
    Operators on ranked tensors with static or dynamic dimensions. Weights are
    hm.constant ops holding dense_resource blobs, so large tensors never print
    inline. hm.hyper_mix is the fused HyperMixing token mixer.
  }];
  let hasConstantMaterializer = 0;
}

class HM_Op<string mnemonic, list<Trait> traits = []>
    : Op<HM_Dialect, mnemonic, traits>;

#endif // HM_DIALECT_TD
