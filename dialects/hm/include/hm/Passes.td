//===- Passes.td - hm transformations ------------------------*- tablegen -*-===//

#ifndef HM_PASSES_TD
#define HM_PASSES_TD

include "mlir/Pass/PassBase.td"

def CanonicalizeHM : Pass<"hm-canonicalize", "mlir::func::FuncOp"> {
  let summary = "normalise exporter forms: GELU chains, decomposed LayerNorm, bias adds";
  let description = [{
    Rewrites the erf-chain GELU into hm.gelu and torch's tanh-chain GELU
    into hm.gelu {approximate = "tanh"}, the opset <= 16 LayerNorm
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
    Option<"algorithm", "algorithm", "std::string", "\"auto\"",
           "kernel algorithm of the fused op: auto, reassociated or two_phase">
  ];
}

def AddAudioFrontend : Pass<"hm-add-audio-frontend", "mlir::ModuleOp"> {
  let summary = "take raw audio instead of filterbank features, add greedy CTC ids";
  let description = [{
    Replaces the model's filterbank input [B, T, n_mels] by an `audio`
    input [B, S] (16-bit PCM scaled to [-1, 1)) and an hm.fbank computing
    the features in the library, with T = floor((S - n_fft) / hop) + 1
    recorded as a derived dimension. Adds a `token_ids` output, the greedy
    CTC decoding of the log-probs output ([B, T'] int64, -1 padded).
  }];
  let dependentDialects = ["::hm::HMDialect"];
  let options = [
    Option<"sampleRate", "sample-rate", "int64_t", "16000", "samples per second">,
    Option<"nFft", "n-fft", "int64_t", "400", "frame and DFT length">,
    Option<"hop", "hop", "int64_t", "160", "frame step in samples">,
    Option<"nMels", "n-mels", "int64_t", "80", "Mel filters">,
    Option<"blank", "blank", "int64_t", "0", "the CTC blank id">
  ];
}

#endif // HM_PASSES_TD
