//===- AddAudioFrontend.cpp - raw audio in, CTC token ids out -------------===//
//
// Products pass 16 kHz samples, not features: the filterbank runs inside the
// library (hm.fbank) and the greedy CTC decoding joins the outputs. The
// tables (periodic Hamming window as SpeechBrain's STFT, real DFT basis, HTK
// Mel filters as torchaudio builds them)
// are computed here in double precision and rounded once.
//
//===----------------------------------------------------------------------===//

#include "hm/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>
#include <set>

namespace hm {
#define GEN_PASS_DEF_ADDAUDIOFRONTEND
#include "hm/Passes.h.inc"

using namespace mlir;

namespace {

double hzToMel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double melToHz(double mel) {
  return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
}

// Triangular filters [nMels, nFreqs] over 0 .. sampleRate / 2.
std::vector<float> melFilters(int64_t nMels, int64_t nFreqs,
                              double sampleRate) {
  std::vector<double> points(nMels + 2);
  double top = hzToMel(sampleRate / 2);
  for (int64_t i = 0; i < nMels + 2; ++i)
    points[i] = melToHz(top * static_cast<double>(i) / (nMels + 1));
  std::vector<float> filters(nMels * nFreqs);
  for (int64_t m = 0; m < nMels; ++m)
    for (int64_t f = 0; f < nFreqs; ++f) {
      double hz = sampleRate / 2 * static_cast<double>(f) / (nFreqs - 1);
      double down = (hz - points[m]) / (points[m + 1] - points[m]);
      double up = (points[m + 2] - hz) / (points[m + 2] - points[m + 1]);
      filters[m * nFreqs + f] =
          static_cast<float>(std::max(0.0, std::min(down, up)));
    }
  return filters;
}

struct AddAudioFrontendPass : impl::AddAudioFrontendBase<AddAudioFrontendPass> {
  using AddAudioFrontendBase::AddAudioFrontendBase;

  Value constant(OpBuilder &builder, Location loc, ArrayRef<int64_t> shape,
                 ArrayRef<float> values) {
    auto type = RankedTensorType::get(shape, builder.getF32Type());
    return builder.create<ConstantOp>(loc,
                                      DenseElementsAttr::get(type, values));
  }

  void runOnOperation() override {
    auto funcs = getOperation().getOps<func::FuncOp>();
    if (std::distance(funcs.begin(), funcs.end()) != 1) {
      getOperation().emitError("expected exactly one function");
      return signalPassFailure();
    }
    func::FuncOp func = *funcs.begin();
    MLIRContext *context = &getContext();
    OpBuilder builder(context);

    // The features input: float32 [B, T, nMels] with named B and T.
    std::optional<unsigned> index;
    for (BlockArgument arg : func.getArguments()) {
      auto type = cast<RankedTensorType>(arg.getType());
      if (type.getElementType().isF32() && type.getRank() == 3 &&
          type.getDimSize(2) == nMels) {
        if (index) {
          func.emitError("more than one [B, T, ")
              << static_cast<int64_t>(nMels)
              << "] float32 input; which one is the filterbank?";
          return signalPassFailure();
        }
        index = arg.getArgNumber();
      }
    }
    auto dims = index ? func.getArgAttrOfType<ArrayAttr>(*index, "hm.dims")
                      : ArrayAttr();
    if (!dims || !isa<StringAttr>(dims[0]) || !isa<StringAttr>(dims[1])) {
      func.emitError("--audio-frontend needs a float32 input [B, T, ")
          << static_cast<int64_t>(nMels)
          << "] of filterbank features with dynamic B and T";
      return signalPassFailure();
    }
    StringAttr frames = cast<StringAttr>(dims[1]);

    // A fresh symbol for the sample count.
    std::set<std::string> taken;
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (auto d = func.getArgAttrOfType<ArrayAttr>(i, "hm.dims"))
        for (Attribute a : d)
          if (auto s = dyn_cast<StringAttr>(a))
            taken.insert(s.str());
    auto derived = func->getAttrOfType<ArrayAttr>("hm.derived_dims");
    for (Attribute a : derived ? derived.getValue() : ArrayRef<Attribute>())
      taken.insert(cast<DictionaryAttr>(a).getAs<StringAttr>("name").str());
    std::string samples = "S";
    for (int i = 1; taken.count(samples); ++i)
      samples = "S" + std::to_string(i);

    Location loc = func.getArgument(*index).getLoc();
    auto audioType = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, builder.getF32Type());
    func.insertArgument(
        *index, audioType,
        builder.getDictionaryAttr(
            {builder.getNamedAttr("hm.name", builder.getStringAttr("audio")),
             builder.getNamedAttr(
                 "hm.dims", builder.getArrayAttr(
                                {dims[0], builder.getStringAttr(samples)}))}),
        loc);
    Value features = func.getArgument(*index + 1);

    // Tables.
    int64_t nFreqs = nFft / 2 + 1;
    std::vector<float> window(nFft), cosines(nFreqs * nFft),
        sines(nFreqs * nFft);
    for (int64_t n = 0; n < nFft; ++n)
      window[n] =
          static_cast<float>(0.54 - 0.46 * std::cos(2 * M_PI * n / nFft));
    for (int64_t f = 0; f < nFreqs; ++f)
      for (int64_t n = 0; n < nFft; ++n) {
        // Reduce f * n mod nFft first so the angle stays exact.
        double angle = 2 * M_PI * static_cast<double>((f * n) % nFft) / nFft;
        cosines[f * nFft + n] = static_cast<float>(std::cos(angle));
        sines[f * nFft + n] = static_cast<float>(std::sin(angle));
      }
    builder.setInsertionPointToStart(&func.getBody().front());
    Value fbank = builder.create<FbankOp>(
        loc, features.getType(), func.getArgument(*index),
        constant(builder, loc, {nFft}, window),
        constant(builder, loc, {nFreqs, nFft}, cosines),
        constant(builder, loc, {nFreqs, nFft}, sines),
        constant(builder, loc, {nMels, nFreqs},
                 melFilters(nMels, nFreqs, static_cast<double>(sampleRate))),
        builder.getI64IntegerAttr(hop), builder.getF64FloatAttr(1e-10));
    features.replaceAllUsesWith(fbank);
    func.eraseArgument(*index + 1);

    // The frame count now follows from the sample count.
    SmallVector<Attribute> list = {builder.getDictionaryAttr(
        {builder.getNamedAttr("name", frames),
         builder.getNamedAttr("base", builder.getStringAttr(samples)),
         builder.getNamedAttr("add", builder.getI64IntegerAttr(-nFft)),
         builder.getNamedAttr("div", builder.getI64IntegerAttr(hop)),
         builder.getNamedAttr("post", builder.getI64IntegerAttr(1))})};
    if (derived)
      llvm::append_range(list, derived.getValue());
    func->setAttr("hm.derived_dims", builder.getArrayAttr(list));

    // Token ids from the log-probs output [B, T', V].
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    std::optional<unsigned> logProbs;
    for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
      auto type = cast<RankedTensorType>(value.getType());
      if (type.getElementType().isF32() && type.getRank() == 3)
        logProbs = logProbs ? std::optional<unsigned>() : i;
    }
    auto outDims =
        logProbs ? func.getResultAttrOfType<ArrayAttr>(*logProbs, "hm.dims")
                 : ArrayAttr();
    if (!outDims) {
      func.emitError("--audio-frontend needs exactly one float32 output "
                     "[B, T, vocabulary] of CTC log-probs");
      return signalPassFailure();
    }
    builder.setInsertionPoint(ret);
    Value value = ret.getOperand(*logProbs);
    auto idsType = RankedTensorType::get(
        cast<RankedTensorType>(value.getType()).getShape().take_front(2),
        builder.getI64Type());
    Value ids = builder.create<CtcGreedyOp>(ret.getLoc(), idsType, value,
                                            builder.getI64IntegerAttr(blank));
    ret->insertOperands(ret.getNumOperands(), ids);
    unsigned resultIndex = func.getNumResults();
    func.insertResult(
        resultIndex, idsType,
        builder.getDictionaryAttr(
            {builder.getNamedAttr("hm.name",
                                  builder.getStringAttr("token_ids")),
             builder.getNamedAttr(
                 "hm.dims", builder.getArrayAttr({outDims[0], outDims[1]}))}));
  }
};

} // namespace
} // namespace hm
