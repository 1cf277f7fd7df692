//===- RunCommand.cpp - `hmc run`: drive a generated library --------------===//

#include "RunCommand.h"

#include "Naming.h"
#include "Status.h"

#include "hmc/runtime.h"

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <filesystem>
#include <iomanip>

namespace hmc::backend {
namespace {

namespace fs = std::filesystem;

// Everything a run holds, released in reverse order of acquisition.
struct Session {
  void *dl = nullptr;
  const hmc_library_v1 *library = nullptr;
  void *handle = nullptr;
  std::vector<hmcrt_npy> inputFiles;
  std::vector<std::vector<unsigned char>> outputData;

  Session() = default;
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;
  ~Session() {
    for (hmcrt_npy &npy : inputFiles)
      hmcrt_npy_free(&npy);
    if (handle)
      library->destroy(handle);
    if (dl)
      dlclose(dl);
  }
};

std::string shapeText(int32_t rank, const int64_t *shape) {
  std::string text = "[";
  for (int32_t i = 0; i < rank; ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string listNames(const hmc_tensor_info *infos, int32_t count) {
  std::string text;
  for (int32_t i = 0; i < count; ++i)
    text += (i ? ", " : "") + std::string(infos[i].name);
  return count ? text : "(none)";
}

Status load(const std::string &path, Session &session) {
  // dlopen searches the library path for a name without '/'.
  std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  session.dl = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!session.dl)
    return Status::error(std::string("cannot load the library: ") + dlerror());
  session.library =
      static_cast<const hmc_library_v1 *>(dlsym(session.dl, "hmc_library_v1"));
  if (!session.library)
    return Status::error(path +
                         " is not an hmc library (no hmc_library_v1 symbol)");
  if (session.library->abi_version != HMC_ABI_VERSION)
    return Status::error(path + " has C API version " +
                         std::to_string(session.library->abi_version) +
                         "; this hmc drives version " +
                         std::to_string(HMC_ABI_VERSION));
  return Status::success();
}

// Reads the --input arguments in the library's input order. An argument is
// matched against the known names rather than split at '=', because graph
// names and file paths may both contain '='.
double loadElement(const void *data, hmc_dtype dtype, size_t i) {
  switch (dtype) {
  case HMC_DTYPE_FLOAT32:
    return static_cast<const float *>(data)[i];
  case HMC_DTYPE_FLOAT64:
    return static_cast<const double *>(data)[i];
  case HMC_DTYPE_INT32:
    return static_cast<const int32_t *>(data)[i];
  case HMC_DTYPE_INT64:
    return static_cast<double>(static_cast<const int64_t *>(data)[i]);
  case HMC_DTYPE_BOOL:
    return static_cast<const uint8_t *>(data)[i];
  }
  return 0;
}

// Converts an input file's array to the model's dtype where the values say
// the same thing there (numpy arrays are float64 and int64 by default):
// floats round to float32 (a finite one must stay finite), but integers and
// bools must be exact.
Status convert(hmcrt_npy &npy, hmc_dtype to) {
  size_t count = npy.size_bytes / hmcrt_dtype_size(npy.dtype);
  void *data = std::malloc(std::max<size_t>(1, count * hmcrt_dtype_size(to)));
  if (!data)
    return Status::error("out of memory converting it");
  for (size_t i = 0; i < count; ++i) {
    double v = loadElement(npy.data, npy.dtype, i);
    bool exact =
        to == HMC_DTYPE_BOOL    ? (v == 0 || v == 1)
        : to == HMC_DTYPE_INT32 ? v == std::trunc(v) && std::abs(v) <= INT32_MAX
        : to == HMC_DTYPE_INT64 ? v == std::trunc(v) && std::abs(v) < 9.2e18
        : to == HMC_DTYPE_FLOAT32 ? !std::isfinite(v) || std::abs(v) <= FLT_MAX
                                  : true;
    if (!exact) {
      std::free(data);
      char value[32]; // 17 digits read back as v exactly
      std::snprintf(value, sizeof value, "%.17g", v);
      return Status::error(
          "element " + std::to_string(i) + " (" + value +
          (to == HMC_DTYPE_FLOAT32 ? ") is beyond the range of "
                                   : ") has no exact ") +
          hmcrt_dtype_name(to) + (to == HMC_DTYPE_FLOAT32 ? "" : " value"));
    }
    switch (to) {
    case HMC_DTYPE_FLOAT32:
      static_cast<float *>(data)[i] = static_cast<float>(v);
      break;
    case HMC_DTYPE_FLOAT64:
      static_cast<double *>(data)[i] = v;
      break;
    case HMC_DTYPE_INT32:
      static_cast<int32_t *>(data)[i] = static_cast<int32_t>(v);
      break;
    case HMC_DTYPE_INT64:
      static_cast<int64_t *>(data)[i] = static_cast<int64_t>(v);
      break;
    case HMC_DTYPE_BOOL:
      static_cast<uint8_t *>(data)[i] = v != 0;
      break;
    }
  }
  std::free(npy.data);
  npy.data = data;
  npy.dtype = to;
  npy.size_bytes = count * hmcrt_dtype_size(to);
  return Status::success();
}

Status readInputs(const RunOptions &options, Session &session,
                  std::vector<hmc_tensor> &tensors) {
  const hmc_library_v1 &library = *session.library;
  std::vector<const std::string *> files(library.num_inputs, nullptr);
  for (const std::string &arg : options.inputs) {
    int32_t match = -1;
    size_t matchLength = 0;
    for (int32_t i = 0; i < library.num_inputs; ++i) {
      std::string prefix = std::string(library.inputs[i].name) + "=";
      if (arg.compare(0, prefix.size(), prefix) == 0 &&
          prefix.size() > matchLength) {
        match = i;
        matchLength = prefix.size();
      }
    }
    if (match < 0)
      return Status::error("--input " + arg +
                           ": expected NAME=FILE.npy with NAME one of the "
                           "model's inputs: " +
                           listNames(library.inputs, library.num_inputs));
    if (files[match])
      return Status::error("--input " +
                           std::string(library.inputs[match].name) +
                           " is given twice");
    files[match] = &arg;
  }

  session.inputFiles.reserve(library.num_inputs);
  for (int32_t i = 0; i < library.num_inputs; ++i) {
    const hmc_tensor_info &info = library.inputs[i];
    if (!files[i])
      return Status::error("missing --input " + std::string(info.name) +
                           "=FILE.npy (the model's inputs: " +
                           listNames(library.inputs, library.num_inputs) + ")");
    std::string path = files[i]->substr(std::strlen(info.name) + 1);
    hmcrt_npy npy{};
    char message[512];
    if (hmcrt_npy_read(path.c_str(), &npy, message, sizeof message) != HMC_OK)
      return Status::error("input " + std::string(info.name) + ": " + message);
    session.inputFiles.push_back(npy);
    if (npy.dtype != info.dtype) {
      Status converted = convert(session.inputFiles.back(), info.dtype);
      if (!converted.ok())
        return Status::error(
            "input " + std::string(info.name) + ": " + path + " holds " +
            hmcrt_dtype_name(npy.dtype) + " but the model takes " +
            hmcrt_dtype_name(info.dtype) + ", and " + converted.message());
      npy = session.inputFiles.back();
    }
    hmc_tensor tensor{};
    tensor.name = info.name;
    tensor.dtype = npy.dtype;
    tensor.rank = npy.rank;
    std::copy(npy.shape, npy.shape + npy.rank, tensor.shape);
    tensor.data = npy.data;
    tensor.size_bytes = npy.size_bytes;
    tensors.push_back(tensor);
  }
  return Status::success();
}

Status libraryError(const Session &session, const char *what,
                    hmc_status status) {
  const char *message = session.library->last_error(session.handle);
  return Status::error(std::string(what) + " failed (status " +
                       std::to_string(status) +
                       "): " + (message && *message ? message : "no message"));
}

Status writeOutputs(const std::string &dir, const hmc_library_v1 &library,
                    const std::vector<hmc_tensor> &outputs, std::ostream &out) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return Status::error("cannot create " + dir + ": " + ec.message());
  std::vector<std::string> names;
  for (int32_t i = 0; i < library.num_outputs; ++i)
    names.push_back(library.outputs[i].name);
  std::vector<std::string> files = sanitizeFileNames(names);
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string path = (fs::path(dir) / (files[i] + ".npy")).string();
    char message[512];
    if (hmcrt_npy_write(path.c_str(), &outputs[i], message, sizeof message) !=
        HMC_OK)
      return Status::error("output " + names[i] + ": " + message);
    out << names[i] << ": " << hmcrt_dtype_name(outputs[i].dtype) << " "
        << shapeText(outputs[i].rank, outputs[i].shape) << " -> " << path
        << "\n";
  }
  return Status::success();
}

void printTimings(std::vector<double> ms, std::ostream &out) {
  std::sort(ms.begin(), ms.end());
  size_t n = ms.size();
  double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  // Nearest-rank percentile.
  double p90 = ms[size_t(std::ceil(0.9 * double(n))) - 1];
  out << std::fixed << std::setprecision(6) << "median_ms: " << median
      << "\np90_ms: " << p90 << "\n";
}

Status run(const RunOptions &options, std::ostream &out) {
  if (options.repeat < 0)
    return Status::error("--repeat must not be negative");
  if (options.threads < 0)
    return Status::error("--threads must not be negative");

  Session session;
  if (Status status = load(options.library, session); !status.ok())
    return status;
  const hmc_library_v1 &library = *session.library;
  std::vector<hmc_tensor> inputs;
  if (Status status = readInputs(options, session, inputs); !status.ok())
    return status;

  // The library reads it at create time.
  if (options.profile)
    setenv("HMC_PROFILE", "1", 1);
  hmc_create_options createOptions{};
  createOptions.num_threads = options.threads;
  if (hmc_status status = library.create(&createOptions, &session.handle))
    return libraryError(session, "create", status);

  std::vector<hmc_tensor> outputs(library.num_outputs);
  for (int32_t i = 0; i < library.num_outputs; ++i)
    outputs[i].name = library.outputs[i].name;
  if (hmc_status status = library.output_shapes(
          session.handle, inputs.data(), int32_t(inputs.size()), outputs.data(),
          int32_t(outputs.size())))
    return libraryError(session, "output_shapes", status);
  for (hmc_tensor &tensor : outputs) {
    size_t bytes = hmcrt_dtype_size(tensor.dtype);
    for (int32_t d = 0; d < tensor.rank; ++d)
      bytes *= size_t(tensor.shape[d]);
    // One byte at least, so that an empty output still has a data pointer.
    session.outputData.emplace_back(std::max<size_t>(bytes, 1));
    tensor.data = session.outputData.back().data();
    tensor.size_bytes = bytes;
  }

  auto runOnce = [&]() {
    return library.run(session.handle, inputs.data(), int32_t(inputs.size()),
                       outputs.data(), int32_t(outputs.size()));
  };
  if (hmc_status status = runOnce())
    return libraryError(session, "run", status);
  if (!options.outputDir.empty()) {
    if (Status status = writeOutputs(options.outputDir, library, outputs, out);
        !status.ok())
      return status;
  } else {
    // Nothing to write: at least say what the run gave.
    for (size_t i = 0; i < outputs.size(); ++i)
      out << library.outputs[i].name << ": "
          << hmcrt_dtype_name(outputs[i].dtype) << " "
          << shapeText(outputs[i].rank, outputs[i].shape)
          << " (not written: no --output-dir)\n";
  }

  if (options.repeat > 0) {
    std::vector<double> ms;
    for (int i = 0; i < options.repeat; ++i) {
      auto start = std::chrono::steady_clock::now();
      hmc_status status = runOnce();
      auto end = std::chrono::steady_clock::now();
      if (status)
        return libraryError(session, "run", status);
      ms.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
    }
    printTimings(std::move(ms), out);
  }
  return Status::success();
}

} // namespace

static void describeTensors(const char *kind, const hmc_tensor_info *infos,
                            int32_t count, std::ostream &out) {
  for (int32_t i = 0; i < count; ++i) {
    const hmc_tensor_info &info = infos[i];
    out << kind << " " << info.name;
    if (std::string(info.name) != info.c_name)
      out << " (C name " << info.c_name << ")";
    out << ": " << hmcrt_dtype_name(info.dtype) << " [";
    for (int32_t d = 0; d < info.rank; ++d)
      out << (d ? ", " : "")
          << (info.shape[d] < 0 ? std::string(info.dim_names[d])
                                : std::to_string(info.shape[d]));
    out << "]\n";
  }
}

int inspectLibrary(const std::string &path, std::ostream &out,
                   std::ostream &err) {
  Session session;
  if (Status status = load(path, session); !status.ok()) {
    err << "hmc inspect: error: " << status.message() << "\n";
    return 1;
  }
  const hmc_library_v1 &library = *session.library;
  out << "library: " << path << "\n"
      << "model: " << library.name << "\n"
      << "hmc version: " << library.hmc_version << "\n"
      << "C API version: " << library.abi_version << "\n"
      << "target: " << library.target << "\n"
      << "schedules: " << library.schedule_source << "\n";
  describeTensors("input", library.inputs, library.num_inputs, out);
  describeTensors("output", library.outputs, library.num_outputs, out);
  out << "weights: " << library.weights_bytes << " bytes, "
      << (library.weights_external ? "external (" + std::string(library.name) +
                                         ".weights beside the library)"
                                   : std::string("embedded"))
      << "\n";
  return 0;
}

int runLibrary(const RunOptions &options, std::ostream &out,
               std::ostream &err) {
  Status status = run(options, out);
  if (status.ok())
    return 0;
  err << "hmc run: error: " << status.message() << "\n";
  return 1;
}

} // namespace hmc::backend
