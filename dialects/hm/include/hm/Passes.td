//===- Passes.td - hm transformations ------------------------*- tablegen -*-===//

#ifndef HM_PASSES_TD
#define HM_PASSES_TD

include "mlir/Pass/PassBase.td"

def CanonicalizeHM : Pass<"hm-canonicalize", "mlir::func::FuncOp"> {
  let summary = "normalise exporter forms: GELU erf chains, decomposed LayerNorm, bias adds";
  let description = [{
    Rewrites the erf-chain GELU into hm.gelu, the opset <= 16 LayerNorm
    decomposition into hm.layer_norm, a dense layer plus bias add into one
    hm.linear, and moves casts before reshapes, so later matchers see one
    form.
  }];
  let dependentDialects = ["::hm::HMDialect"];
}

def FuseHyperMixing : Pass<"hm-fuse-hypermixing", "mlir::func::FuncOp"> {
  let summary = "replace exported HyperMixing subgraphs by hm.hyper_mix";
  let description = [{
    Matches the dataflow of the HyperMixing math (mask, positions,
    hypernetworks in Einsum or MatMul form, token mixing, final LayerNorm),
    independent of one exporter's node order, and replaces it by one
    hm.hyper_mix. A candidate that almost matches gets a remark naming the
    check that failed.
  }];
  let dependentDialects = ["::hm::HMDialect"];
  let options = [
    Option<"algorithm", "algorithm", "std::string", "\"reassociated\"",
           "kernel algorithm of the fused op: reassociated or two_phase">
  ];
}

#endif // HM_PASSES_TD
