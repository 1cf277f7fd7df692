// Tests of the hmcrt executor with fake kernels: hand-written functions with
// Halide's argv signature, wired into hand-made model tables. The Halide
// runtime object (from hmc-halide --runtime-only) provides halide_error and
// halide_do_par_for, so these kernels exercise the real hooks.
#include "hmc/runtime.h"

#include <HalideRuntime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

// ---- Kernel helpers -------------------------------------------------------

void *userContext(void **args) { return *static_cast<void **>(args[0]); }

halide_buffer_t *arg(void **args, int i) {
  return static_cast<halide_buffer_t *>(args[i + 1]);
}

int64_t numElements(const halide_buffer_t *b) {
  int64_t n = 1;
  for (int d = 0; d < b->dimensions; d++)
    n *= b->dim[d].extent;
  return n;
}

// The runtime's layout promise: dense, innermost dimension first, min 0.
bool isDense(const halide_buffer_t *b, halide_type_code_t code, int bits) {
  if (b->type.code != code || b->type.bits != bits || b->type.lanes != 1 ||
      !b->host || b->device != 0)
    return false;
  int64_t stride = 1;
  for (int d = 0; d < b->dimensions; d++) {
    if (b->dim[d].min != 0 || b->dim[d].stride != stride)
      return false;
    stride *= b->dim[d].extent;
  }
  return true;
}

bool sameExtents(const halide_buffer_t *a, const halide_buffer_t *b) {
  if (a->dimensions != b->dimensions)
    return false;
  for (int d = 0; d < a->dimensions; d++)
    if (a->dim[d].extent != b->dim[d].extent)
      return false;
  return true;
}

int kernelError(void **args, const char *message) {
  halide_error(userContext(args), message);
  return -1;
}

bool isF32(const halide_buffer_t *b) {
  return isDense(b, halide_type_float, 32);
}

// What the kernels of the toy model saw in the last run (guarded by
// seenMutex: several handles may run the toy model at once).
struct Seen {
  std::vector<halide_dimension_t> xDims, maskDims;
  halide_type_t maskType{};
  const uint8_t *temps[3] = {};
};
Seen seen;
std::mutex seenMutex;

// t0 = x + bias (bias broadcast over the last dimension).
int addBias(void **args) {
  halide_buffer_t *x = arg(args, 0), *bias = arg(args, 1), *out = arg(args, 2);
  if (!isF32(x) || !isF32(bias) || !isF32(out) || !sameExtents(x, out) ||
      bias->dimensions != 1 || x->dim[0].extent != bias->dim[0].extent)
    return kernelError(args, "addBias: unexpected buffers");
  {
    std::lock_guard<std::mutex> lock(seenMutex);
    seen.xDims.assign(x->dim, x->dim + x->dimensions);
    seen.temps[0] = out->host;
  }
  auto *xs = reinterpret_cast<const float *>(x->host);
  auto *bs = reinterpret_cast<const float *>(bias->host);
  auto *os = reinterpret_cast<float *>(out->host);
  int c = bias->dim[0].extent;
  for (int64_t i = 0; i < numElements(x); i++)
    os[i] = xs[i] + bs[i % c];
  return 0;
}

// out = 2 in, where out is temporary number Temp.
template <int Temp> int scaleBy2(void **args) {
  halide_buffer_t *in = arg(args, 0), *out = arg(args, 1);
  if (!isF32(in) || !isF32(out) || !sameExtents(in, out))
    return kernelError(args, "scaleBy2: unexpected buffers");
  {
    std::lock_guard<std::mutex> lock(seenMutex);
    seen.temps[Temp] = out->host;
  }
  auto *is = reinterpret_cast<const float *>(in->host);
  auto *os = reinterpret_cast<float *>(out->host);
  for (int64_t i = 0; i < numElements(in); i++)
    os[i] = 2 * is[i];
  return 0;
}

// y[b, s, c] = t[b, s, c] * mask[b, s]
int applyMask(void **args) {
  halide_buffer_t *t = arg(args, 0), *mask = arg(args, 1), *y = arg(args, 2);
  if (!isF32(t) || !isF32(y) || !isDense(mask, halide_type_uint, 8) ||
      !sameExtents(t, y) || mask->dimensions != 2 ||
      mask->dim[0].extent != t->dim[1].extent ||
      mask->dim[1].extent != t->dim[2].extent)
    return kernelError(args, "applyMask: unexpected buffers");
  {
    std::lock_guard<std::mutex> lock(seenMutex);
    seen.maskDims.assign(mask->dim, mask->dim + mask->dimensions);
    seen.maskType = mask->type;
  }
  auto *ts = reinterpret_cast<const float *>(t->host);
  auto *ys = reinterpret_cast<float *>(y->host);
  int c = t->dim[0].extent;
  for (int64_t i = 0; i < numElements(t); i++)
    ys[i] = ts[i] * mask->host[i / c];
  return 0;
}

// count[b] = number of true mask entries in row b.
int countMask(void **args) {
  halide_buffer_t *mask = arg(args, 0), *count = arg(args, 1);
  if (!isDense(mask, halide_type_uint, 8) ||
      !isDense(count, halide_type_int, 64) || count->dimensions != 1 ||
      count->dim[0].extent != mask->dim[1].extent)
    return kernelError(args, "countMask: unexpected buffers");
  auto *cs = reinterpret_cast<int64_t *>(count->host);
  int n = mask->dim[0].extent;
  for (int b = 0; b < count->dim[0].extent; b++) {
    cs[b] = 0;
    for (int s = 0; s < n; s++)
      cs[b] += mask->host[b * n + s];
  }
  return 0;
}

// ---- The toy model ----------------------------------------------------------
//
//   x [batch, seq, 4] f32, mask [batch, seq] bool, bias [4] (weight)
//   t0 = x + bias; t1 = 2 t0; t2 = 2 t1; y = t2 * mask; count = sum(mask, 1)
//
// t0 is dead once t1 exists, so t2 can take t0's bytes in the arena.

constexpr hmcrt_dim sym(int32_t s) { return {s, 0}; }
constexpr hmcrt_dim fixed(int64_t v) { return {-1, v}; }

enum { kBatch, kSeq };
const hmcrt_symbol_desc kSymbols[] = {{"batch", 1, 8}, {"seq", 1, 1024}};

const hmcrt_buffer_desc kToyBuffers[] = {
    {"x",
     HMC_DTYPE_FLOAT32,
     3,
     {sym(kBatch), sym(kSeq), fixed(4)},
     HMCRT_INPUT,
     0,
     0},
    {"mask", HMC_DTYPE_BOOL, 2, {sym(kBatch), sym(kSeq)}, HMCRT_INPUT, 1, 0},
    {"bias", HMC_DTYPE_FLOAT32, 1, {fixed(4)}, HMCRT_WEIGHT, -1, 0},
    {"t0",
     HMC_DTYPE_FLOAT32,
     3,
     {sym(kBatch), sym(kSeq), fixed(4)},
     HMCRT_TEMP,
     -1,
     0},
    {"t1",
     HMC_DTYPE_FLOAT32,
     3,
     {sym(kBatch), sym(kSeq), fixed(4)},
     HMCRT_TEMP,
     -1,
     0},
    {"t2",
     HMC_DTYPE_FLOAT32,
     3,
     {sym(kBatch), sym(kSeq), fixed(4)},
     HMCRT_TEMP,
     -1,
     0},
    {"y",
     HMC_DTYPE_FLOAT32,
     3,
     {sym(kBatch), sym(kSeq), fixed(4)},
     HMCRT_OUTPUT,
     0,
     0},
    {"count", HMC_DTYPE_INT64, 1, {sym(kBatch)}, HMCRT_OUTPUT, 1, 0},
};
const int32_t kAddArgs[] = {0, 2, 3}, kScale1Args[] = {3, 4},
              kScale2Args[] = {4, 5}, kMaskArgs[] = {5, 1, 6},
              kCountArgs[] = {1, 7};
const hmcrt_kernel_desc kToyKernels[] = {
    {"add_bias", addBias, 3, kAddArgs},
    {"scale1", scaleBy2<1>, 2, kScale1Args},
    {"scale2", scaleBy2<2>, 2, kScale2Args},
    {"apply_mask", applyMask, 3, kMaskArgs},
    {"count_mask", countMask, 2, kCountArgs},
};
const int32_t kToyInputs[] = {0, 1}, kToyOutputs[] = {6, 7};
alignas(64) const float kBias[4] = {1, 2, 3, 4};

hmc_library_v1 library(const char *name, int32_t inputs, int32_t outputs) {
  hmc_library_v1 lib{};
  lib.abi_version = HMC_ABI_VERSION;
  lib.name = name;
  lib.num_inputs = inputs;
  lib.num_outputs = outputs;
  return lib;
}

const hmc_library_v1 kToyLibrary = library("toy", 2, 2);

hmcrt_model_desc toyModel() {
  hmcrt_model_desc m{};
  m.library = &kToyLibrary;
  m.num_symbols = 2;
  m.symbols = kSymbols;
  m.num_buffers = 8;
  m.buffers = kToyBuffers;
  m.num_kernels = 5;
  m.kernels = kToyKernels;
  m.input_buffers = kToyInputs;
  m.output_buffers = kToyOutputs;
  m.weights = reinterpret_cast<const uint8_t *>(kBias);
  m.weights_size = sizeof(kBias);
  return m;
}
const hmcrt_model_desc kToy = toyModel();

// Inputs, outputs and the expected results of one toy run.
struct ToyCall {
  std::vector<float> x, y, yExpected;
  std::vector<uint8_t> mask;
  std::vector<int64_t> count, countExpected;
  hmc_tensor inputs[2] = {};
  hmc_tensor outputs[2] = {};

  ToyCall(int64_t batch, int64_t seq, int seed = 0)
      : x(batch * seq * 4), y(batch * seq * 4, -1), yExpected(batch * seq * 4),
        mask(batch * seq), count(batch, -1), countExpected(batch, 0) {
    for (size_t i = 0; i < x.size(); i++)
      x[i] = static_cast<float>((i * 37 + seed) % 101) / 10.0f - 5.0f;
    for (size_t i = 0; i < mask.size(); i++)
      mask[i] = (i * 7 + seed) % 3 != 0;
    for (size_t i = 0; i < x.size(); i++)
      yExpected[i] = 4 * (x[i] + kBias[i % 4]) * mask[i / 4];
    for (int64_t b = 0; b < batch; b++)
      for (int64_t s = 0; s < seq; s++)
        countExpected[b] += mask[b * seq + s];
    inputs[0] = tensor(HMC_DTYPE_FLOAT32, {batch, seq, 4}, x.data(),
                       x.size() * sizeof(float));
    inputs[1] = tensor(HMC_DTYPE_BOOL, {batch, seq}, mask.data(), mask.size());
    outputs[0].data = y.data();
    outputs[0].size_bytes = y.size() * sizeof(float);
    outputs[1].data = count.data();
    outputs[1].size_bytes = count.size() * sizeof(int64_t);
  }

  static hmc_tensor tensor(hmc_dtype dtype, std::vector<int64_t> shape,
                           void *data, size_t size) {
    hmc_tensor t{};
    t.dtype = dtype;
    t.rank = static_cast<int32_t>(shape.size());
    std::copy(shape.begin(), shape.end(), t.shape);
    t.data = data;
    t.size_bytes = size;
    return t;
  }

  hmc_status run(hmcrt_handle *h) {
    return hmcrt_run(h, inputs, 2, outputs, 2);
  }

  void expectCorrect() const {
    EXPECT_EQ(y, yExpected);
    EXPECT_EQ(count, countExpected);
  }
};

// Owns a handle; fails the test if create fails.
struct Handle {
  hmcrt_handle *h = nullptr;
  explicit Handle(const hmcrt_model_desc &model, int32_t threads = 1,
                  const char *weightsPath = nullptr) {
    hmc_create_options options{threads, weightsPath};
    hmc_status st = hmcrt_create(&model, &options, &h);
    EXPECT_EQ(st, HMC_OK) << hmcrt_last_error(nullptr);
  }
  ~Handle() { hmcrt_destroy(h); }
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  std::string error() const { return hmcrt_last_error(h); }
};

#define EXPECT_ERROR(call, status, text, message)                              \
  do {                                                                         \
    EXPECT_EQ((call), (status)) << (message);                                  \
    EXPECT_NE(std::string(message).find(text), std::string::npos)              \
        << (message);                                                          \
  } while (0)

// ---- Successful runs --------------------------------------------------------

TEST(Executor, RunsTheModel) {
  Handle h(kToy);
  ToyCall call(2, 3);
  ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
  call.expectCorrect();
  EXPECT_EQ(call.outputs[0].dtype, HMC_DTYPE_FLOAT32);
  ASSERT_EQ(call.outputs[0].rank, 3);
  EXPECT_EQ(call.outputs[0].shape[0], 2);
  EXPECT_EQ(call.outputs[0].shape[1], 3);
  EXPECT_EQ(call.outputs[0].shape[2], 4);
  EXPECT_EQ(call.outputs[1].dtype, HMC_DTYPE_INT64);
  ASSERT_EQ(call.outputs[1].rank, 1);
  EXPECT_EQ(call.outputs[1].shape[0], 2);
}

TEST(Executor, OutputShapesNeedNoData) {
  Handle h(kToy);
  ToyCall call(3, 17);
  hmc_tensor outputs[2] = {};
  outputs[0].name = "y";
  ASSERT_EQ(hmcrt_output_shapes(h.h, call.inputs, 2, outputs, 2), HMC_OK)
      << h.error();
  EXPECT_EQ(outputs[0].dtype, HMC_DTYPE_FLOAT32);
  ASSERT_EQ(outputs[0].rank, 3);
  EXPECT_EQ(outputs[0].shape[0], 3);
  EXPECT_EQ(outputs[0].shape[1], 17);
  EXPECT_EQ(outputs[0].shape[2], 4);
  EXPECT_EQ(outputs[1].dtype, HMC_DTYPE_INT64);
  ASSERT_EQ(outputs[1].rank, 1);
  EXPECT_EQ(outputs[1].shape[0], 3);
}

TEST(Executor, KernelsSeeReversedDenseHalideBuffers) {
  Handle h(kToy);
  ToyCall call(2, 3);
  ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
  // Row-major [2, 3, 4] is Halide (4, 3, 2) with strides 1, 4, 12.
  ASSERT_EQ(seen.xDims.size(), 3u);
  EXPECT_EQ(seen.xDims[0].extent, 4);
  EXPECT_EQ(seen.xDims[0].stride, 1);
  EXPECT_EQ(seen.xDims[1].extent, 3);
  EXPECT_EQ(seen.xDims[1].stride, 4);
  EXPECT_EQ(seen.xDims[2].extent, 2);
  EXPECT_EQ(seen.xDims[2].stride, 12);
  ASSERT_EQ(seen.maskDims.size(), 2u);
  EXPECT_EQ(seen.maskDims[0].extent, 3);
  EXPECT_EQ(seen.maskDims[1].extent, 2);
  EXPECT_EQ(seen.maskDims[1].stride, 3);
  EXPECT_EQ(seen.maskType.code, halide_type_uint); // bool is uint8
  EXPECT_EQ(seen.maskType.bits, 8);
}

TEST(Executor, TemporariesShareTheArenaWhenLifetimesAreDisjoint) {
  Handle h(kToy);
  ToyCall call(2, 5);
  seen = Seen{};
  ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
  // t0 (kernels 0-1) and t2 (kernels 2-3) never live together; t1 (1-2)
  // overlaps both.
  EXPECT_EQ(seen.temps[2], seen.temps[0]);
  EXPECT_NE(seen.temps[1], seen.temps[0]);
  for (const uint8_t *p : seen.temps)
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
}

TEST(Executor, ArenaFollowsChangingShapes) {
  Handle h(kToy);
  for (auto [batch, seq] :
       {std::pair<int, int>{1, 3}, {8, 1000}, {2, 5}, {8, 1024}, {1, 1}}) {
    SCOPED_TRACE(std::to_string(batch) + "x" + std::to_string(seq));
    ToyCall call(batch, seq, batch + seq);
    ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
    call.expectCorrect();
  }
}

TEST(Executor, AcceptsMatchingNamesAndLargerBuffers) {
  Handle h(kToy);
  ToyCall call(1, 2);
  call.inputs[0].name = "x";
  call.inputs[1].name = "mask";
  call.outputs[0].name = "y";
  call.outputs[1].name = "count";
  call.y.resize(100, -1);
  call.outputs[0].data = call.y.data();
  call.outputs[0].size_bytes = call.y.size() * sizeof(float);
  ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
  call.y.resize(call.yExpected.size());
  call.expectCorrect();
}

// ---- Errors -----------------------------------------------------------------

TEST(Errors, NullHandleAndPointers) {
  ToyCall call(1, 1);
  EXPECT_ERROR(call.run(nullptr), HMC_ERROR_INVALID_ARGUMENT,
               "run: handle is NULL", hmcrt_last_error(nullptr));
  EXPECT_ERROR(hmcrt_output_shapes(nullptr, call.inputs, 2, call.outputs, 2),
               HMC_ERROR_INVALID_ARGUMENT, "handle is NULL",
               hmcrt_last_error(nullptr));
  EXPECT_EQ(hmcrt_set_num_threads(nullptr, 1), HMC_ERROR_INVALID_ARGUMENT);
  hmcrt_destroy(nullptr);

  hmcrt_handle *out = reinterpret_cast<hmcrt_handle *>(1);
  EXPECT_ERROR(hmcrt_create(nullptr, nullptr, &out), HMC_ERROR_INVALID_ARGUMENT,
               "model is NULL", hmcrt_last_error(nullptr));
  EXPECT_EQ(out, nullptr);
  EXPECT_ERROR(hmcrt_create(&kToy, nullptr, nullptr),
               HMC_ERROR_INVALID_ARGUMENT, "handle is NULL",
               hmcrt_last_error(nullptr));

  Handle h(kToy);
  EXPECT_ERROR(hmcrt_run(h.h, nullptr, 2, call.outputs, 2),
               HMC_ERROR_INVALID_ARGUMENT, "inputs array is NULL", h.error());
  EXPECT_ERROR(hmcrt_run(h.h, call.inputs, 2, nullptr, 2),
               HMC_ERROR_INVALID_ARGUMENT, "outputs array is NULL", h.error());
}

TEST(Errors, CreateOptions) {
  hmcrt_handle *h = nullptr;
  hmc_create_options options{-1, nullptr};
  EXPECT_ERROR(hmcrt_create(&kToy, &options, &h), HMC_ERROR_INVALID_ARGUMENT,
               "num_threads is -1, expected 0..1024",
               hmcrt_last_error(nullptr));
  options.num_threads = 0; // online CPUs
  ASSERT_EQ(hmcrt_create(&kToy, &options, &h), HMC_OK);
  ToyCall call(2, 9);
  EXPECT_EQ(call.run(h), HMC_OK) << hmcrt_last_error(h);
  call.expectCorrect();
  EXPECT_ERROR(hmcrt_set_num_threads(h, 5000), HMC_ERROR_INVALID_ARGUMENT,
               "set_num_threads: 5000", hmcrt_last_error(h));
  hmcrt_destroy(h);
}

TEST(Errors, InvalidModelTables) {
  hmcrt_handle *h = nullptr;
  hmcrt_model_desc m = kToy;
  const int32_t badArgs[] = {0, 99};
  const hmcrt_kernel_desc badKernel[] = {{"bad", scaleBy2<1>, 2, badArgs}};
  m.kernels = badKernel;
  m.num_kernels = 1;
  EXPECT_ERROR(hmcrt_create(&m, nullptr, &h), HMC_ERROR_INTERNAL,
               "kernel 'bad' argument 1 is buffer 99",
               hmcrt_last_error(nullptr));
  m = kToy;
  m.weights_size = 8; // bias needs 16 bytes
  EXPECT_ERROR(hmcrt_create(&m, nullptr, &h), HMC_ERROR_INTERNAL,
               "weight 'bias' (16 bytes at 0) lies outside",
               hmcrt_last_error(nullptr));
  m = kToy;
  m.library = nullptr;
  EXPECT_EQ(hmcrt_create(&m, nullptr, &h), HMC_ERROR_INTERNAL);
  m = kToy;
  const int32_t swapped[] = {1, 0};
  m.input_buffers = swapped;
  EXPECT_ERROR(hmcrt_create(&m, nullptr, &h), HMC_ERROR_INTERNAL, "io_index",
               hmcrt_last_error(nullptr));
  EXPECT_EQ(h, nullptr);
}

TEST(Errors, WrongCountsAndNames) {
  Handle h(kToy);
  ToyCall call(2, 3);
  EXPECT_ERROR(hmcrt_run(h.h, call.inputs, 1, call.outputs, 2),
               HMC_ERROR_INVALID_ARGUMENT, "expected 2 inputs, got 1",
               h.error());
  EXPECT_ERROR(hmcrt_run(h.h, call.inputs, 2, call.outputs, 3),
               HMC_ERROR_INVALID_ARGUMENT, "expected 2 outputs, got 3",
               h.error());
  call.inputs[1].name = "x";
  EXPECT_ERROR(call.run(h.h), HMC_ERROR_INVALID_ARGUMENT,
               "input 1 is named 'x', expected 'mask'", h.error());
  call.inputs[1].name = nullptr;
  call.outputs[1].name = "y";
  EXPECT_ERROR(call.run(h.h), HMC_ERROR_INVALID_ARGUMENT,
               "output 1 is named 'y', expected 'count'", h.error());
}

TEST(Errors, WrongDtypeRankAndStaticDim) {
  Handle h(kToy);
  {
    ToyCall call(2, 3);
    call.inputs[0].dtype = HMC_DTYPE_INT32;
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_DTYPE,
                 "input 'x': dtype is int32, expected float32", h.error());
  }
  {
    ToyCall call(2, 3);
    call.inputs[1].dtype = HMC_DTYPE_INT64;
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_DTYPE,
                 "input 'mask': dtype is int64, expected bool", h.error());
  }
  {
    ToyCall call(2, 3);
    call.inputs[0].rank = 2;
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_SHAPE,
                 "input 'x': rank is 2, expected 3", h.error());
  }
  {
    ToyCall call(2, 3);
    call.inputs[0].shape[2] = 5;
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_SHAPE,
                 "input 'x': dimension 2 is 5, expected 4", h.error());
  }
}

TEST(Errors, DynamicDimensions) {
  Handle h(kToy);
  {
    ToyCall call(2, 3);
    call.inputs[1].shape[1] = 4;
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_SHAPE,
                 "input 'mask': dimension 1 (seq) is 4, but input 'x' "
                 "dimension 1 set seq to 3",
                 h.error());
  }
  {
    ToyCall call(2, 3);
    call.inputs[0].shape[1] = call.inputs[1].shape[1] = 2000;
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_OUT_OF_RANGE,
                 "input 'x': dimension 1 (seq) is 2000, expected 1..1024",
                 h.error());
  }
  {
    ToyCall call(2, 3);
    call.inputs[0].shape[1] = call.inputs[1].shape[1] = 0;
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_OUT_OF_RANGE,
                 "input 'x': dimension 1 (seq) is 0, expected 1..1024",
                 h.error());
  }
  {
    ToyCall call(2, 3);
    call.inputs[0].shape[0] = -1;
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_OUT_OF_RANGE,
                 "input 'x': dimension 0 (batch) is -1, expected 1..8",
                 h.error());
  }
}

TEST(Errors, BuffersAndData) {
  Handle h(kToy);
  {
    ToyCall call(2, 3);
    call.outputs[0].size_bytes = 8;
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_BUFFER_TOO_SMALL,
                 "output 'y': size_bytes is 8, but shape [2, 3, 4] of float32 "
                 "needs 96",
                 h.error());
    // The shapes are filled in anyway, so the caller can resize.
    EXPECT_EQ(call.outputs[0].rank, 3);
    EXPECT_EQ(call.outputs[0].shape[1], 3);
  }
  {
    ToyCall call(2, 3);
    call.outputs[1].data = nullptr;
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_INVALID_ARGUMENT,
                 "output 'count': data is NULL", h.error());
  }
  {
    ToyCall call(2, 3);
    call.inputs[0].data = nullptr;
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_INVALID_ARGUMENT,
                 "input 'x': data is NULL", h.error());
  }
  {
    ToyCall call(2, 3);
    call.inputs[1].size_bytes = 5;
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_INVALID_ARGUMENT,
                 "input 'mask': size_bytes is 5, but shape [2, 3] of bool "
                 "needs 6",
                 h.error());
  }
  // A failed call leaves the handle usable.
  ToyCall call(2, 3);
  ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
  call.expectCorrect();
}

// ---- Kernel errors ----------------------------------------------------------

int boom(void **args) { return kernelError(args, "boom\n"); }

int failInTask(void *uc, int i, uint8_t *) {
  if (i == 5) {
    halide_error(uc, "task 5 failed");
    return -3;
  }
  return 0;
}

int parallelBoom(void **args) {
  return halide_do_par_for(userContext(args), failInTask, 0, 64, nullptr);
}

const hmcrt_buffer_desc kUnaryBuffers[] = {
    {"in", HMC_DTYPE_INT32, 1, {sym(0)}, HMCRT_INPUT, 0, 0},
    {"out", HMC_DTYPE_INT32, 1, {sym(0)}, HMCRT_OUTPUT, 0, 0},
};
const hmcrt_symbol_desc kN[] = {{"n", 0, 1 << 20}};
const int32_t kUnaryArgs[] = {0, 1}, kUnaryIn[] = {0}, kUnaryOut[] = {1};
const hmc_library_v1 kUnaryLibrary = library("unary", 1, 1);

// A one-kernel model out = kernel(in) over int32 [n].
hmcrt_model_desc unaryModel(const hmcrt_kernel_desc *kernel) {
  hmcrt_model_desc m{};
  m.library = &kUnaryLibrary;
  m.num_symbols = 1;
  m.symbols = kN;
  m.num_buffers = 2;
  m.buffers = kUnaryBuffers;
  m.num_kernels = 1;
  m.kernels = kernel;
  m.input_buffers = kUnaryIn;
  m.output_buffers = kUnaryOut;
  return m;
}

struct UnaryCall {
  std::vector<int32_t> in, out;
  hmc_tensor input{}, output{};
  explicit UnaryCall(int32_t n) : in(n), out(n, -1) {
    for (int32_t i = 0; i < n; i++)
      in[i] = i * 3 - 7;
    input = ToyCall::tensor(HMC_DTYPE_INT32, {n}, in.data(), n * 4);
    output.data = out.data();
    output.size_bytes = out.size() * 4;
  }
  hmc_status run(hmcrt_handle *h) {
    return hmcrt_run(h, &input, 1, &output, 1);
  }
};

TEST(KernelErrors, HalideErrorMessageReachesTheCaller) {
  const hmcrt_kernel_desc kernel[] = {{"exploder", boom, 2, kUnaryArgs}};
  hmcrt_model_desc m = unaryModel(kernel);
  Handle h(m);
  UnaryCall call(4);
  EXPECT_ERROR(call.run(h.h), HMC_ERROR_KERNEL,
               "kernel 'exploder' failed (code -1): boom", h.error());
  EXPECT_EQ(h.error().back(), 'm'); // the trailing newline is dropped
}

TEST(KernelErrors, ErrorInAParallelTask) {
  const hmcrt_kernel_desc kernel[] = {{"par", parallelBoom, 2, kUnaryArgs}};
  hmcrt_model_desc m = unaryModel(kernel);
  for (int threads : {1, 4}) {
    Handle h(m, threads);
    UnaryCall call(4);
    EXPECT_ERROR(call.run(h.h), HMC_ERROR_KERNEL,
                 "kernel 'par' failed (code -3): task 5 failed", h.error());
  }
}

// ---- Threads ----------------------------------------------------------------

struct ParState {
  std::vector<std::atomic<int>> calls, inner;
  std::mutex mutex;
  std::condition_variable cv;
  std::set<std::thread::id> threads;
  size_t want;         // distinct threads each task waits for
  bool gaveUp = false; // one timeout is enough to fail the test
  ParState(size_t n, size_t want) : calls(n), inner(n), want(want) {}
};
ParState *parState = nullptr;

struct ParClosure {
  const int32_t *in;
  int32_t *out;
};

int innerTask(void *, int, uint8_t *closure) {
  parState->inner[*reinterpret_cast<int *>(closure)]++;
  return 0;
}

// Holds a task until `want` threads have joined the loop, so a pool that
// leaves its workers idle fails rather than passing by timing.
void joinAndWait() {
  std::unique_lock<std::mutex> lock(parState->mutex);
  parState->threads.insert(std::this_thread::get_id());
  parState->cv.notify_all();
  if (!parState->cv.wait_for(lock, std::chrono::seconds(10), [] {
        return parState->gaveUp || parState->threads.size() >= parState->want;
      }))
    parState->gaveUp = true;
}

int outerTask(void *uc, int i, uint8_t *closure) {
  auto *c = reinterpret_cast<ParClosure *>(closure);
  parState->calls[i]++;
  joinAndWait();
  c->out[i] = 2 * c->in[i];
  // Nested loops run on the calling thread.
  return halide_do_par_for(uc, innerTask, 0, 3,
                           reinterpret_cast<uint8_t *>(&i));
}

int parallelDouble(void **args) {
  halide_buffer_t *in = arg(args, 0), *out = arg(args, 1);
  ParClosure closure{reinterpret_cast<const int32_t *>(in->host),
                     reinterpret_cast<int32_t *>(out->host)};
  return halide_do_par_for(userContext(args), outerTask, 0, in->dim[0].extent,
                           reinterpret_cast<uint8_t *>(&closure));
}

int innerJoinTask(void *, int i, uint8_t *) {
  parState->inner[i]++;
  joinAndWait();
  return 0;
}

int singleTaskOuter(void *uc, int, uint8_t *) {
  return halide_do_par_for(uc, innerJoinTask, 0, 6, nullptr);
}

// One outer task whose inner loop does the work (an input of one tile).
int nestedInSingleTask(void **args) {
  halide_buffer_t *in = arg(args, 0), *out = arg(args, 1);
  std::memcpy(out->host, in->host, numElements(in) * 4);
  return halide_do_par_for(userContext(args), singleTaskOuter, 0, 1, nullptr);
}

TEST(Threads, LoopInsideAOneTaskLoopUsesEveryThread) {
  const hmcrt_kernel_desc kernel[] = {
      {"par", nestedInSingleTask, 2, kUnaryArgs}};
  hmcrt_model_desc m = unaryModel(kernel);
  Handle h(m, 2);
  ParState state(6, 2);
  parState = &state;
  UnaryCall call(6);
  ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
  for (int i = 0; i < 6; i++)
    EXPECT_EQ(state.inner[i], 1) << i;
  EXPECT_EQ(state.threads.size(), 2u);
  EXPECT_FALSE(state.gaveUp);
  parState = nullptr;
}

// Also fewer tasks than threads, and counts the threads' shares do not
// divide evenly.
TEST(Threads, ParForRunsEveryTaskOnce) {
  const hmcrt_kernel_desc kernel[] = {{"par", parallelDouble, 2, kUnaryArgs}};
  hmcrt_model_desc m = unaryModel(kernel);
  for (int threads : {1, 2, 4})
    for (int n : {2000, 3, 7}) {
      SCOPED_TRACE(testing::Message() << threads << " threads, " << n);
      size_t joining = static_cast<size_t>(std::min(n, threads));
      ParState state(n, joining);
      parState = &state;
      Handle h(m, threads);
      UnaryCall call(n);
      ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
      for (int i = 0; i < n; i++) {
        ASSERT_EQ(state.calls[i], 1) << i;
        ASSERT_EQ(state.inner[i], 3) << i;
        ASSERT_EQ(call.out[i], 2 * call.in[i]) << i;
      }
      EXPECT_EQ(state.threads.size(), joining);
      EXPECT_FALSE(state.gaveUp);
      parState = nullptr;
    }
}

// Workers poll for a while after a loop and then sleep: back-to-back loops
// meet them polling, loops after a pause must wake them.
TEST(Threads, WorkersJoinLoopsRightAfterAndLongAfterTheLast) {
  const hmcrt_kernel_desc kernel[] = {{"par", parallelDouble, 2, kUnaryArgs}};
  hmcrt_model_desc m = unaryModel(kernel);
  Handle h(m, 3);
  for (int round = 0; round < 40; round++) {
    SCOPED_TRACE(round);
    ParState state(6, 3);
    parState = &state;
    UnaryCall call(6);
    ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
    EXPECT_EQ(state.threads.size(), 3u);
    EXPECT_FALSE(state.gaveUp);
    parState = nullptr;
    if (round % 4 == 3)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

TEST(Threads, EmptyTensorsRun) {
  const hmcrt_kernel_desc kernel[] = {{"par", parallelDouble, 2, kUnaryArgs}};
  hmcrt_model_desc m = unaryModel(kernel);
  Handle h(m, 2);
  ParState state(0, 1);
  parState = &state;
  UnaryCall call(0);
  call.input.data = call.output.data = nullptr; // no bytes, no pointer needed
  ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
  EXPECT_EQ(call.output.rank, 1);
  EXPECT_EQ(call.output.shape[0], 0);
  parState = nullptr;
}

TEST(Threads, SetNumThreadsReplacesThePool) {
  const hmcrt_kernel_desc kernel[] = {{"par", parallelDouble, 2, kUnaryArgs}};
  hmcrt_model_desc m = unaryModel(kernel);
  Handle h(m, 1);
  for (int threads : {3, 1, 2}) {
    SCOPED_TRACE(threads);
    ASSERT_EQ(hmcrt_set_num_threads(h.h, threads), HMC_OK) << h.error();
    ParState state(500, threads);
    parState = &state;
    UnaryCall call(500);
    ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
    EXPECT_EQ(call.out[499], 2 * call.in[499]);
    EXPECT_EQ(state.threads.size(), static_cast<size_t>(threads));
    parState = nullptr;
  }
}

// A kernel that holds its run until the test lets it go.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool entered = false, open = false;
};
Gate *gate = nullptr;

int waitAtGate(void **args) {
  std::unique_lock<std::mutex> lock(gate->mutex);
  gate->entered = true;
  gate->cv.notify_all();
  gate->cv.wait(lock, [] { return gate->open; });
  halide_buffer_t *in = arg(args, 0), *out = arg(args, 1);
  std::memcpy(out->host, in->host, numElements(in) * 4);
  return 0;
}

TEST(Threads, ConcurrentUseOfOneHandleIsRefused) {
  const hmcrt_kernel_desc kernel[] = {{"gate", waitAtGate, 2, kUnaryArgs}};
  hmcrt_model_desc m = unaryModel(kernel);
  Handle h(m);
  Gate g;
  gate = &g;
  UnaryCall first(8);
  hmc_status firstStatus = HMC_ERROR_INTERNAL;
  std::thread runner([&] { firstStatus = first.run(h.h); });
  {
    std::unique_lock<std::mutex> lock(g.mutex);
    g.cv.wait(lock, [&] { return g.entered; });
  }
  UnaryCall second(8);
  EXPECT_ERROR(second.run(h.h), HMC_ERROR_BUSY, "run: the handle is in use",
               hmcrt_last_error(h.h));
  EXPECT_EQ(hmcrt_output_shapes(h.h, &second.input, 1, &second.output, 1),
            HMC_ERROR_BUSY);
  EXPECT_EQ(hmcrt_set_num_threads(h.h, 2), HMC_ERROR_BUSY);
  {
    std::lock_guard<std::mutex> lock(g.mutex);
    g.open = true;
  }
  g.cv.notify_all();
  runner.join();
  EXPECT_EQ(firstStatus, HMC_OK);
  EXPECT_EQ(first.out, first.in);
  // Once the handle is free, this thread can use it (and its messages).
  EXPECT_EQ(second.run(h.h), HMC_OK);
  EXPECT_EQ(second.out, second.in);
  UnaryCall bad(8);
  bad.input.dtype = HMC_DTYPE_FLOAT32;
  EXPECT_ERROR(bad.run(h.h), HMC_ERROR_DTYPE, "input 'in': dtype is float32",
               hmcrt_last_error(h.h));
  gate = nullptr;
}

TEST(Threads, SeparateHandlesRunIndependently) {
  const int runs = 30;
  auto work = [&](int seed, std::vector<float> *result, bool *ok) {
    Handle h(kToy, 2);
    *ok = true;
    for (int r = 0; r < runs; r++) {
      ToyCall call(4, 100 + r, seed);
      if (call.run(h.h) != HMC_OK || call.y != call.yExpected ||
          call.count != call.countExpected)
        *ok = false;
      if (r == runs - 1)
        *result = call.y;
    }
  };
  std::vector<float> a, b, reference;
  bool okA = false, okB = false, okRef = false;
  std::thread ta(work, 1, &a, &okA), tb(work, 1, &b, &okB);
  ta.join();
  tb.join();
  work(1, &reference, &okRef);
  EXPECT_TRUE(okA);
  EXPECT_TRUE(okB);
  EXPECT_TRUE(okRef);
  EXPECT_EQ(a, reference);
  EXPECT_EQ(b, reference);
}

// ---- Kernel heap blocks -----------------------------------------------------

// Pointers that kernels got from halide_malloc in one run.
std::set<void *> *heapBlocks = nullptr;

// Holds three blocks at once, sized by the input, the way Halide kernels
// allocate their intermediates; copies in to out through one of them.
int allocating(void **args) {
  void *uc = userContext(args);
  halide_buffer_t *in = arg(args, 0), *out = arg(args, 1);
  size_t bytes = numElements(in) * 4;
  void *blocks[3] = {halide_malloc(uc, bytes), halide_malloc(uc, 2 * bytes + 1),
                     halide_malloc(uc, 24)};
  for (void *b : blocks) {
    if (!b || reinterpret_cast<uintptr_t>(b) % 64 != 0)
      return -1;
    heapBlocks->insert(b);
  }
  std::memset(blocks[1], 0x5a, 2 * bytes + 1);
  std::memcpy(blocks[0], in->host, bytes);
  std::memcpy(out->host, blocks[0], bytes);
  for (void *b : blocks)
    halide_free(uc, b);
  return 0;
}

TEST(KernelHeap, BlocksAreReusedAcrossRuns) {
  const hmcrt_kernel_desc kernel[] = {{"alloc", allocating, 2, kUnaryArgs}};
  hmcrt_model_desc m = unaryModel(kernel);
  Handle h(m);
  std::set<void *> first, second, smaller;
  for (auto [set, n] :
       {std::pair{&first, 1000}, {&second, 1000}, {&smaller, 10}}) {
    heapBlocks = set;
    UnaryCall call(n);
    ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
    EXPECT_EQ(call.out, call.in);
  }
  heapBlocks = nullptr;
  EXPECT_EQ(first.size(), 3u);
  // No new memory once the largest shape has run.
  EXPECT_EQ(second, first);
  for (void *p : smaller)
    EXPECT_TRUE(first.count(p)) << p;
}

// Blocks live in the tasks of one parallel loop; a block handed to two tasks
// at once would show up twice in live.
struct LiveBlocks {
  std::mutex mutex;
  std::set<void *> live, all;
  bool shared = false;
};
LiveBlocks *liveBlocks = nullptr;

int allocatingTask(void *uc, int, uint8_t *) {
  void *p = halide_malloc(uc, 4096);
  if (!p)
    return -1;
  {
    std::lock_guard<std::mutex> lock(liveBlocks->mutex);
    liveBlocks->shared |= !liveBlocks->live.insert(p).second;
    liveBlocks->all.insert(p);
  }
  std::memset(p, 1, 4096);
  std::this_thread::yield();
  {
    std::lock_guard<std::mutex> lock(liveBlocks->mutex);
    liveBlocks->live.erase(p);
  }
  halide_free(uc, p);
  return 0;
}

int allocatingInParallel(void **args) {
  return halide_do_par_for(userContext(args), allocatingTask, 0, 256, nullptr);
}

TEST(KernelHeap, ParallelTasksNeverShareABlock) {
  const hmcrt_kernel_desc kernel[] = {
      {"par", allocatingInParallel, 2, kUnaryArgs}};
  hmcrt_model_desc m = unaryModel(kernel);
  Handle h(m, 4);
  LiveBlocks blocks;
  liveBlocks = &blocks;
  for (int r = 0; r < 5; r++) {
    UnaryCall call(4);
    ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
  }
  liveBlocks = nullptr;
  EXPECT_FALSE(blocks.shared);
  // At most one block per thread is ever made.
  EXPECT_LE(blocks.all.size(), 4u);
}

TEST(KernelHeap, NullContextUsesPlainMemory) {
  // Halide's runtime allocates without a context on some paths.
  Handle h(kToy); // installs the hooks
  void *p = halide_malloc(nullptr, 100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  std::memset(p, 0, 100);
  halide_free(nullptr, p);
}

// ---- CPU features -----------------------------------------------------------

bool hasFeature(const uint64_t *features, halide_target_feature_t feature) {
  return (features[feature / 64] >> (feature % 64)) & 1;
}

// Stands in for the CPU check of Halide's runtime: a CPU without
// avx512_knl and avx512_skylake.
int cpuWithoutKnlOrSkylake(int, const uint64_t *features) {
  return !hasFeature(features, halide_target_feature_avx512_knl) &&
         !hasFeature(features, halide_target_feature_avx512_skylake);
}

// Installs a stand-in CPU check for its lifetime.
struct FakeCpu {
  halide_can_use_target_features_t previous;
  explicit FakeCpu(halide_can_use_target_features_t check)
      : previous(halide_set_custom_can_use_target_features(check)) {}
  ~FakeCpu() { halide_set_custom_can_use_target_features(previous); }
  FakeCpu(const FakeCpu &) = delete;
  FakeCpu &operator=(const FakeCpu &) = delete;
};

const hmcrt_cpu_feature kSse41 = {halide_target_feature_sse41, "sse41"};
const hmcrt_cpu_feature kAvx2 = {halide_target_feature_avx2, "avx2"};
const hmcrt_cpu_feature kKnl = {halide_target_feature_avx512_knl, "avx512_knl"};
const hmcrt_cpu_feature kSkylake = {halide_target_feature_avx512_skylake,
                                    "avx512_skylake"};

TEST(CpuFeatures, CreateRefusesACpuWithoutTheTargetsFeatures) {
  FakeCpu cpu(cpuWithoutKnlOrSkylake);
  const hmcrt_cpu_feature features[] = {kSse41, kKnl, kAvx2, kSkylake};
  const hmcrt_target_desc target = {"x86-64-linux-avx2-avx512_knl", 4,
                                    features};
  hmcrt_model_desc m = kToy;
  m.target = &target;
  hmcrt_handle *h = nullptr;
  EXPECT_EQ(hmcrt_create(&m, nullptr, &h), HMC_ERROR_UNSUPPORTED_CPU);
  EXPECT_STREQ(hmcrt_last_error(nullptr),
               "this CPU lacks features the library was built for: "
               "avx512_knl, avx512_skylake (target "
               "x86-64-linux-avx2-avx512_knl)");
  EXPECT_EQ(h, nullptr);
}

TEST(CpuFeatures, CreateAcceptsACpuWithTheTargetsFeatures) {
  FakeCpu cpu(cpuWithoutKnlOrSkylake);
  const hmcrt_cpu_feature features[] = {kSse41, kAvx2};
  hmcrt_target_desc target = {"x86-64-linux-avx2-sse41", 2, features};
  hmcrt_model_desc m = kToy;
  m.target = &target;
  {
    Handle h(m);
    ToyCall call(2, 3);
    ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
    call.expectCorrect();
  }
  target.num_cpu_features = 0;
  target.cpu_features = nullptr;
  Handle h(m);
}

// Halide's own check: no CPU but the Xeon Phi has avx512_knl.
TEST(CpuFeatures, HalideKnowsThisCpuLacksAvx512Knl) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512er"))
    GTEST_SKIP() << "this CPU has avx512_knl";
  const hmcrt_target_desc target = {"x86-64-linux-avx512_knl", 1, &kKnl};
  hmcrt_model_desc m = kToy;
  m.target = &target;
  hmcrt_handle *h = nullptr;
  EXPECT_ERROR(hmcrt_create(&m, nullptr, &h), HMC_ERROR_UNSUPPORTED_CPU,
               "lacks features the library was built for: avx512_knl (",
               hmcrt_last_error(nullptr));
#else
  GTEST_SKIP() << "avx512_knl is an x86 feature";
#endif
}

TEST(CpuFeatures, InvalidTargetTables) {
  const hmcrt_cpu_feature beyond = {halide_target_feature_end, "future"};
  hmcrt_target_desc target = {"x86-64-linux", 1, &beyond};
  hmcrt_model_desc m = kToy;
  m.target = &target;
  hmcrt_handle *h = nullptr;
  EXPECT_ERROR(hmcrt_create(&m, nullptr, &h), HMC_ERROR_INTERNAL,
               "invalid model: CPU feature 0 has id " +
                   std::to_string(halide_target_feature_end),
               hmcrt_last_error(nullptr));
  target.cpu_features = nullptr;
  EXPECT_ERROR(hmcrt_create(&m, nullptr, &h), HMC_ERROR_INTERNAL,
               "invalid model: target table with 1 CPU features",
               hmcrt_last_error(nullptr));
  EXPECT_EQ(h, nullptr);
}

// ---- External weights -------------------------------------------------------

std::string writeWeights(const std::string &path, size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(kBias),
            static_cast<std::streamsize>(bytes));
  return path;
}

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "hmcrt_" + std::to_string(getpid()) + "_" +
         name;
}

TEST(Weights, MapsAnExternalFile) {
  hmcrt_model_desc m = kToy;
  m.weights = nullptr;
  std::string path = writeWeights(tempPath("w.bin"), sizeof(kBias));
  {
    Handle h(m, 1, path.c_str());
    ToyCall call(2, 7);
    ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
    call.expectCorrect();
  }
  hmcrt_handle *h = nullptr;
  hmc_create_options options{1, path.c_str()};
  EXPECT_ERROR(hmcrt_create(&kToy, &options, &h), HMC_ERROR_INVALID_ARGUMENT,
               "library 'toy' embeds its weights", hmcrt_last_error(nullptr));
  writeWeights(path, 12);
  EXPECT_ERROR(hmcrt_create(&m, &options, &h), HMC_ERROR_INVALID_ARGUMENT,
               "weights file '" + path +
                   "' has 12 bytes, the library "
                   "expects 16",
               hmcrt_last_error(nullptr));
  std::remove(path.c_str());
  EXPECT_ERROR(hmcrt_create(&m, &options, &h), HMC_ERROR_INVALID_ARGUMENT,
               "weights file '" + path + "': No such file",
               hmcrt_last_error(nullptr));
  EXPECT_EQ(h, nullptr);
}

// Resident KiB of this process's mapping of the file at path (0 if none).
long residentKiB(const std::string &path) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inMapping = false;
  while (std::getline(smaps, line)) {
    if (line.size() > path.size() &&
        line.compare(line.size() - path.size(), path.size(), path) == 0)
      inMapping = true;
    else if (inMapping && line.rfind("Rss:", 0) == 0)
      return std::stol(line.substr(4));
  }
  return 0;
}

TEST(Weights, CreateMakesEveryPageResident) {
  // 4 MiB of weights, of which the toy model reads the first 16 bytes: the
  // rest is resident after create all the same, so no run faults it in.
  constexpr size_t kBytes = 4 << 20;
  std::string path = tempPath("big.bin");
  {
    std::ofstream out(path, std::ios::binary);
    std::vector<char> bytes(kBytes, 1);
    std::memcpy(bytes.data(), kBias, sizeof(kBias));
    out.write(bytes.data(), static_cast<std::streamsize>(kBytes));
  }
  hmcrt_model_desc m = kToy;
  m.weights = nullptr;
  m.weights_size = kBytes;
  {
    Handle h(m, 1, path.c_str());
    EXPECT_GE(residentKiB(path), static_cast<long>(kBytes / 1024));
    ToyCall call(2, 5);
    ASSERT_EQ(call.run(h.h), HMC_OK) << h.error();
    call.expectCorrect();
  }
  std::remove(path.c_str());
}

TEST(Weights, DefaultsToTheFileNextToTheLibrary) {
  // The tables live in this test executable, so the default file is
  // NAME.weights in the executable's folder.
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  ASSERT_GT(n, 0);
  exe[n] = '\0';
  std::string dir(exe);
  dir = dir.substr(0, dir.rfind('/'));
  static const std::string name = "hmcrt_ext_" + std::to_string(getpid());
  static const hmc_library_v1 lib = library(name.c_str(), 2, 2);
  std::string path = dir + "/" + name + ".weights";
  // Static like the generated tables: the runtime finds the file through
  // the address of the model description.
  static hmcrt_model_desc m = kToy;
  m.library = &lib;
  m.weights = nullptr;
  hmcrt_handle *h = nullptr;
  EXPECT_ERROR(hmcrt_create(&m, nullptr, &h), HMC_ERROR_INVALID_ARGUMENT,
               name + ".weights': No such file", hmcrt_last_error(nullptr));
  writeWeights(path, sizeof(kBias));
  {
    Handle handle(m);
    ToyCall call(1, 4);
    ASSERT_EQ(call.run(handle.h), HMC_OK) << handle.error();
    call.expectCorrect();
  }
  std::remove(path.c_str());
}

} // namespace
