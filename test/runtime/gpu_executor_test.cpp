// The executor's GPU path against a fake device: a Halide device interface
// whose "device memory" is host memory it allocates itself, and kernels that
// work on device pointers as Halide's GPU pipelines do (copy inputs to the
// device, write outputs there, mark them device-dirty). Checks what a CUDA
// library does without a GPU: weights uploaded once at create, inputs copied
// per run, intermediates and their device blocks kept between runs, outputs
// copied back, run_device on caller device memory, create's NO_DEVICE error.
#include "hmc/runtime.h"

#include <HalideRuntime.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

// The per-API half of a device interface (Halide's runtime
// device_interface.h; the generic halide_device_* functions call these).
extern "C" struct halide_device_interface_impl_t {
  void (*use_module)();
  void (*release_module)();
  int (*device_malloc)(void *, halide_buffer_t *);
  int (*device_free)(void *, halide_buffer_t *);
  int (*device_sync)(void *, halide_buffer_t *);
  int (*device_release)(void *);
  int (*copy_to_host)(void *, halide_buffer_t *);
  int (*copy_to_device)(void *, halide_buffer_t *);
  int (*device_and_host_malloc)(void *, halide_buffer_t *);
  int (*device_and_host_free)(void *, halide_buffer_t *);
  int (*buffer_copy)(void *, halide_buffer_t *,
                     const halide_device_interface_t *, halide_buffer_t *);
  int (*device_crop)(void *, const halide_buffer_t *, halide_buffer_t *);
  int (*device_slice)(void *, const halide_buffer_t *, int, int,
                      halide_buffer_t *);
  int (*device_release_crop)(void *, halide_buffer_t *);
  int (*wrap_native)(void *, halide_buffer_t *, uint64_t);
  int (*detach_native)(void *, halide_buffer_t *);
};

namespace {

size_t bytesOf(const halide_buffer_t *b) {
  size_t n = b->type.bytes();
  for (int d = 0; d < b->dimensions; d++)
    n *= size_t(b->dim[d].extent);
  return n;
}

struct FakeDevice {
  bool fail = false;
  int mallocs = 0, frees = 0, syncs = 0;
  // Frees of a buffer that describes another size than it was allocated
  // with: Halide's CUDA runtime files the block for reuse under that size.
  int freedAsOtherSize = 0;
  std::map<uint64_t, size_t> allocated;        // device handle -> bytes
  std::map<std::string, int> toDevice, toHost; // by first float's tag
  std::vector<void *> live;
  float readOnHost = 0;
} fake;

const halide_device_interface_t *fakeGpu();

void noop() {}

int fakeMalloc(void *uc, halide_buffer_t *b) {
  if (fake.fail) {
    halide_error(uc, "fake: no device here");
    return -1;
  }
  void *p = std::calloc(1, bytesOf(b) + 1);
  b->device = uint64_t(uintptr_t(p));
  fake.allocated[b->device] = bytesOf(b);
  b->device_interface = fakeGpu();
  fake.mallocs++;
  return 0;
}
int fakeFree(void *, halide_buffer_t *b) {
  fake.freedAsOtherSize += fake.allocated[b->device] != bytesOf(b);
  fake.allocated.erase(b->device);
  std::free(reinterpret_cast<void *>(uintptr_t(b->device)));
  b->device = 0;
  b->device_interface = nullptr;
  fake.frees++;
  return 0;
}
int fakeSync(void *, halide_buffer_t *) {
  fake.syncs++;
  return 0;
}
int fakeRelease(void *) { return 0; }
int fakeToHost(void *, halide_buffer_t *b) {
  std::memcpy(b->host, reinterpret_cast<void *>(uintptr_t(b->device)),
              bytesOf(b));
  fake.toHost[std::to_string(b->dimensions)]++;
  return 0;
}
int fakeToDevice(void *, halide_buffer_t *b) {
  std::memcpy(reinterpret_cast<void *>(uintptr_t(b->device)), b->host,
              bytesOf(b));
  fake.toDevice[std::to_string(b->dimensions)]++;
  return 0;
}
int fakeWrap(void *, halide_buffer_t *b, uint64_t handle) {
  b->device = handle;
  return 0;
}
int fakeDetach(void *, halide_buffer_t *b) {
  b->device = 0;
  b->device_interface = nullptr;
  return 0;
}

halide_device_interface_impl_t fakeImpl = {
    noop,       noop,         fakeMalloc, fakeFree,  fakeSync, fakeRelease,
    fakeToHost, fakeToDevice, nullptr,    nullptr,   nullptr,  nullptr,
    nullptr,    nullptr,      fakeWrap,   fakeDetach};

halide_device_interface_t fakeInterface = [] {
  halide_device_interface_t i{};
  i.device_malloc = halide_device_malloc;
  i.device_free = halide_device_free;
  i.device_sync = halide_device_sync;
  i.device_release = halide_device_release;
  i.copy_to_host = halide_copy_to_host;
  i.copy_to_device = halide_copy_to_device;
  i.wrap_native = halide_device_wrap_native;
  i.detach_native = halide_device_detach_native;
  i.impl = &fakeImpl;
  return i;
}();

const halide_device_interface_t *fakeGpu() { return &fakeInterface; }

void *userContext(void **args) { return *static_cast<void **>(args[0]); }
halide_buffer_t *arg(void **args, int i) {
  return static_cast<halide_buffer_t *>(args[i + 1]);
}
float *onDevice(halide_buffer_t *b) {
  return reinterpret_cast<float *>(uintptr_t(b->device));
}

// What a GPU pipeline does with its buffers: inputs to the device, output
// written there and marked device-dirty.
int deviceKernel(void **args, int inputs, float (*op)(float, float)) {
  void *uc = userContext(args);
  for (int i = 0; i < inputs; i++)
    if (halide_copy_to_device(uc, arg(args, i), &fakeInterface) != 0)
      return -1;
  halide_buffer_t *out = arg(args, inputs);
  if (!out->device && halide_device_malloc(uc, out, &fakeInterface) != 0)
    return -1;
  halide_buffer_t *a = arg(args, 0), *b = arg(args, inputs - 1);
  int64_t n = int64_t(bytesOf(out) / 4), nb = int64_t(bytesOf(b) / 4);
  for (int64_t k = 0; k < n; k++)
    onDevice(out)[k] = op(onDevice(a)[k], onDevice(b)[k % nb]);
  out->flags |= halide_buffer_flag_device_dirty;
  return 0;
}
int addWeight(void **args) {
  return deviceKernel(args, 2, [](float x, float w) { return x + w; });
}
// add_weight that also reads its input on the host, as a gather checks its
// indices there; Halide's pipelines fail a buffer without host memory.
int addWeightReadingHost(void **args) {
  halide_buffer_t *x = arg(args, 0);
  if (!x->host) {
    halide_error(userContext(args), "the host pointer of x is null");
    return -34;
  }
  if (halide_copy_to_host(userContext(args), x) != 0)
    return -1;
  fake.readOnHost = reinterpret_cast<float *>(x->host)[bytesOf(x) / 4 - 1];
  return addWeight(args);
}
int scale(void **args) {
  return deviceKernel(args, 1, [](float x, float) { return 2 * x; });
}

constexpr hmcrt_dim sym(int32_t s) { return {s, 0}; }
constexpr hmcrt_dim fixed(int64_t v) { return {-1, v}; }
const hmcrt_symbol_desc kSymbols[] = {{"n", 1, 1024}};
// x [n, 4] (rank 2), w [4] (rank 1), t [n, 4, 1] (rank 3), y [n, 4, 1, 1]
// (rank 4): the fake device counts copies by rank.
const hmcrt_buffer_desc kBuffers[] = {
    {"x", HMC_DTYPE_FLOAT32, 2, {sym(0), fixed(4)}, HMCRT_INPUT, 0, 0},
    {"w", HMC_DTYPE_FLOAT32, 1, {fixed(4)}, HMCRT_WEIGHT, -1, 0},
    {"t",
     HMC_DTYPE_FLOAT32,
     3,
     {sym(0), fixed(4), fixed(1)},
     HMCRT_TEMP,
     -1,
     0},
    {"y",
     HMC_DTYPE_FLOAT32,
     4,
     {sym(0), fixed(4), fixed(1), fixed(1)},
     HMCRT_OUTPUT,
     0,
     0},
};
const int32_t kAddArgs[] = {0, 1, 2}, kScaleArgs[] = {2, 3};
const hmcrt_kernel_desc kKernels[] = {{"add_weight", addWeight, 3, kAddArgs},
                                      {"scale", scale, 2, kScaleArgs}};
const hmcrt_kernel_desc kHostReadingKernels[] = {
    {"add_weight", addWeightReadingHost, 3, kAddArgs},
    {"scale", scale, 2, kScaleArgs}};
const int32_t kInputs[] = {0}, kOutputs[] = {3};
alignas(64) const float kWeights[4] = {1, 2, 3, 4};
const hmcrt_target_desc kTarget = {"fake-gpu", 0, nullptr, "fake", fakeGpu};
const hmcrt_target_desc kCpuTarget = {"x86-64-linux", 0, nullptr, nullptr,
                                      nullptr};

hmc_library_v1 library() {
  hmc_library_v1 lib{};
  lib.abi_version = HMC_ABI_VERSION;
  lib.name = "fakegpu";
  lib.num_inputs = 1;
  lib.num_outputs = 1;
  return lib;
}
const hmc_library_v1 kLibrary = library();

hmcrt_model_desc model(const hmcrt_target_desc *target,
                       const hmcrt_kernel_desc *kernels = kKernels) {
  hmcrt_model_desc m{};
  m.library = &kLibrary;
  m.num_symbols = 1;
  m.symbols = kSymbols;
  m.num_buffers = 4;
  m.buffers = kBuffers;
  m.num_kernels = 2;
  m.kernels = kernels;
  m.input_buffers = kInputs;
  m.output_buffers = kOutputs;
  m.weights = reinterpret_cast<const uint8_t *>(kWeights);
  m.weights_size = sizeof(kWeights);
  m.target = target;
  return m;
}

struct Call {
  std::vector<float> x, y;
  hmc_tensor in{}, out{};
  explicit Call(int64_t n, void *xData = nullptr, void *yData = nullptr)
      : x(size_t(n) * 4), y(size_t(n) * 4, -1) {
    for (size_t k = 0; k < x.size(); k++)
      x[k] = float(k);
    in.dtype = out.dtype = HMC_DTYPE_FLOAT32;
    in.rank = 2;
    in.shape[0] = n;
    in.shape[1] = 4;
    in.data = xData ? xData : x.data();
    in.size_bytes = x.size() * 4;
    out.rank = 4;
    out.shape[0] = n;
    out.shape[1] = 4;
    out.shape[2] = out.shape[3] = 1;
    out.data = yData ? yData : y.data();
    out.size_bytes = y.size() * 4;
  }
  void expectResult(const float *x, const float *y) const {
    for (size_t k = 0; k < this->x.size(); k++)
      ASSERT_EQ(y[k], 2 * (x[k] + kWeights[k % 4])) << k;
  }
};

TEST(GpuExecutor, WeightsOnceInputsPerRunOutputsBack) {
  fake = FakeDevice();
  hmcrt_model_desc m = model(&kTarget);
  hmcrt_handle *h = nullptr;
  ASSERT_EQ(hmcrt_create(&m, nullptr, &h), HMC_OK) << hmcrt_last_error(nullptr);
  EXPECT_EQ(fake.toDevice["1"], 1); // the weight, at create
  int mallocsAfterCreate = fake.mallocs;

  for (int run = 1; run <= 3; run++) {
    Call call(5);
    ASSERT_EQ(hmcrt_run(h, &call.in, 1, &call.out, 1), HMC_OK)
        << hmcrt_last_error(h);
    call.expectResult(call.x.data(), call.y.data());
    EXPECT_EQ(fake.toDevice["1"], 1) << "weights are uploaded once";
    EXPECT_EQ(fake.toDevice["2"], run) << "the input, every run";
    EXPECT_EQ(fake.toDevice["3"], 0) << "the intermediate stays on the device";
    EXPECT_EQ(fake.toHost["3"], 0);
    EXPECT_EQ(fake.toHost["4"], run) << "the output, every run";
  }
  // x, t and y got their device blocks in the first run, reused since.
  EXPECT_EQ(fake.mallocs, mallocsAfterCreate + 3);

  // A longer input needs larger blocks; a shorter one fits the old ones.
  Call longer(9);
  ASSERT_EQ(hmcrt_run(h, &longer.in, 1, &longer.out, 1), HMC_OK);
  longer.expectResult(longer.x.data(), longer.y.data());
  EXPECT_EQ(fake.mallocs, mallocsAfterCreate + 6);
  Call shorter(2);
  ASSERT_EQ(hmcrt_run(h, &shorter.in, 1, &shorter.out, 1), HMC_OK);
  shorter.expectResult(shorter.x.data(), shorter.y.data());
  EXPECT_EQ(fake.mallocs, mallocsAfterCreate + 6);

  hmcrt_destroy(h);
  EXPECT_EQ(fake.frees, fake.mallocs) << "destroy frees every device block";
}

TEST(GpuExecutor, RunDeviceUsesCallerMemoryInPlace) {
  fake = FakeDevice();
  hmcrt_model_desc m = model(&kTarget);
  hmcrt_handle *h = nullptr;
  ASSERT_EQ(hmcrt_create(&m, nullptr, &h), HMC_OK) << hmcrt_last_error(nullptr);
  // "Device memory" of the fake device is host memory.
  std::vector<float> x(24), y(24, -1);
  for (size_t k = 0; k < x.size(); k++)
    x[k] = float(k) / 3;
  Call call(6, x.data(), y.data());
  ASSERT_EQ(hmcrt_run_device(h, &call.in, 1, &call.out, 1), HMC_OK)
      << hmcrt_last_error(h);
  Call(6).expectResult(x.data(), y.data());
  EXPECT_EQ(fake.toDevice["2"], 0) << "no input copy";
  EXPECT_EQ(fake.toHost["4"], 0) << "no output copy";
  EXPECT_GE(fake.syncs, 1) << "run_device waits for the kernels";

  // A host run after it still copies.
  Call host(3);
  ASSERT_EQ(hmcrt_run(h, &host.in, 1, &host.out, 1), HMC_OK);
  host.expectResult(host.x.data(), host.y.data());
  EXPECT_EQ(fake.toHost["4"], 1);
  hmcrt_destroy(h);
  EXPECT_EQ(fake.frees, fake.mallocs) << "caller memory is never freed";
}

TEST(GpuExecutor, BuffersThatGrowAreFreedAsAllocated) {
  fake = FakeDevice();
  hmcrt_model_desc m = model(&kTarget);
  hmcrt_handle *h = nullptr;
  ASSERT_EQ(hmcrt_create(&m, nullptr, &h), HMC_OK) << hmcrt_last_error(nullptr);
  for (int64_t n : {3, 6, 2, 7}) {
    Call call(n);
    ASSERT_EQ(hmcrt_run(h, &call.in, 1, &call.out, 1), HMC_OK)
        << hmcrt_last_error(h);
    call.expectResult(call.x.data(), call.y.data());
  }
  hmcrt_destroy(h);
  EXPECT_EQ(fake.freedAsOtherSize, 0);
  EXPECT_EQ(fake.frees, fake.mallocs);
}

TEST(GpuExecutor, RunDeviceGivesHostReadsACopy) {
  fake = FakeDevice();
  hmcrt_model_desc m = model(&kTarget, kHostReadingKernels);
  hmcrt_handle *h = nullptr;
  ASSERT_EQ(hmcrt_create(&m, nullptr, &h), HMC_OK) << hmcrt_last_error(nullptr);
  for (int64_t n : {2, 5}) {
    std::vector<float> x(size_t(n) * 4), y(x.size(), -1);
    for (size_t k = 0; k < x.size(); k++)
      x[k] = float(k) + 0.5f;
    Call call(n, x.data(), y.data());
    ASSERT_EQ(hmcrt_run_device(h, &call.in, 1, &call.out, 1), HMC_OK)
        << hmcrt_last_error(h);
    Call(n).expectResult(x.data(), y.data());
    EXPECT_EQ(fake.readOnHost, x.back());
  }
  hmcrt_destroy(h);
}

TEST(GpuExecutor, CreateWithoutDeviceFailsWithItsMessage) {
  fake = FakeDevice();
  fake.fail = true;
  hmcrt_model_desc m = model(&kTarget);
  hmcrt_handle *h = reinterpret_cast<hmcrt_handle *>(1);
  EXPECT_EQ(hmcrt_create(&m, nullptr, &h), HMC_ERROR_NO_DEVICE);
  EXPECT_EQ(h, nullptr);
  EXPECT_STREQ(hmcrt_last_error(nullptr),
               "no GPU device: fake: no device here (library 'fakegpu' was "
               "built for target fake-gpu)");
}

TEST(GpuExecutor, RunDeviceNeedsAGpuLibrary) {
  fake = FakeDevice();
  hmcrt_model_desc m = model(&kCpuTarget);
  hmcrt_handle *h = nullptr;
  ASSERT_EQ(hmcrt_create(&m, nullptr, &h), HMC_OK);
  Call call(2);
  EXPECT_EQ(hmcrt_run_device(h, &call.in, 1, &call.out, 1),
            HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(hmcrt_last_error(h), "run_device: library 'fakegpu' is not a "
                                    "GPU library (target x86-64-linux)");
  EXPECT_EQ(fake.mallocs, 0);
  hmcrt_destroy(h);
}

} // namespace
