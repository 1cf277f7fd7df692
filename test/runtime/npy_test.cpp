// Tests of the .npy reader and writer in hmcrt.
#include "hmc/runtime.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "hmcrt_npy_" + std::to_string(getpid()) + "_" +
         name + ".npy";
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A .npy file as numpy lays it out: magic, version, header length, the
// dictionary padded with spaces to a 64-byte boundary and a newline, data.
std::string npyBytes(const std::string &dict, const std::string &data,
                     int major = 1) {
  size_t lenBytes = major == 1 ? 2 : 4;
  size_t total = 6 + 2 + lenBytes + dict.size() + 1;
  std::string header = dict + std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < lenBytes; i++)
    out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string floats(std::vector<float> values) {
  return std::string(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(float));
}

struct ReadResult {
  hmc_status status;
  std::string error;
  hmcrt_npy npy;
};

ReadResult readNpy(const std::string &path) {
  ReadResult r{};
  char error[512] = "";
  r.status = hmcrt_npy_read(path.c_str(), &r.npy, error, sizeof(error));
  r.error = error;
  return r;
}

// Writes bytes to a file, reads it and expects a failure whose message
// names the file and contains `expected`.
void expectRejected(const std::string &name, const std::string &bytes,
                    hmc_status status, const std::string &expected) {
  SCOPED_TRACE(name);
  std::string path = tempPath(name);
  writeFile(path, bytes);
  ReadResult r = readNpy(path);
  EXPECT_EQ(r.status, status) << r.error;
  EXPECT_NE(r.error.find(path), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(expected), std::string::npos) << r.error;
  EXPECT_EQ(r.npy.data, nullptr);
  std::remove(path.c_str());
}

const char *kDict23 =
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

TEST(Npy, RoundTripsEveryDtype) {
  struct Case {
    hmc_dtype dtype;
    size_t size;
  } cases[] = {{HMC_DTYPE_FLOAT32, 4},
               {HMC_DTYPE_FLOAT64, 8},
               {HMC_DTYPE_INT32, 4},
               {HMC_DTYPE_INT64, 8},
               {HMC_DTYPE_BOOL, 1}};
  std::vector<std::vector<int64_t>> shapes = {
      {}, {5}, {2, 3}, {2, 0, 3}, {1, 2, 1, 2, 1, 2, 1, 2}};
  for (const Case &c : cases) {
    for (const auto &shape : shapes) {
      SCOPED_TRACE(std::string(hmcrt_dtype_name(c.dtype)) + " rank " +
                   std::to_string(shape.size()));
      EXPECT_EQ(hmcrt_dtype_size(c.dtype), c.size);
      size_t count = 1;
      for (int64_t d : shape)
        count *= static_cast<size_t>(d);
      std::vector<uint8_t> data(count * c.size);
      for (size_t i = 0; i < data.size(); i++)
        data[i] = c.dtype == HMC_DTYPE_BOOL ? i % 3 == 0
                                            : static_cast<uint8_t>(i * 7 + 1);
      hmc_tensor t{};
      t.dtype = c.dtype;
      t.rank = static_cast<int32_t>(shape.size());
      std::copy(shape.begin(), shape.end(), t.shape);
      t.data = data.data();
      t.size_bytes = data.size();
      std::string path = tempPath("roundtrip");
      char error[256] = "";
      ASSERT_EQ(hmcrt_npy_write(path.c_str(), &t, error, sizeof(error)), HMC_OK)
          << error;
      EXPECT_EQ(readFile(path).size() % 64, data.size() % 64);
      ReadResult r = readNpy(path);
      ASSERT_EQ(r.status, HMC_OK) << r.error;
      EXPECT_EQ(r.npy.dtype, c.dtype);
      ASSERT_EQ(r.npy.rank, t.rank);
      for (int32_t d = 0; d < t.rank; d++)
        EXPECT_EQ(r.npy.shape[d], shape[d]);
      ASSERT_EQ(r.npy.size_bytes, data.size());
      ASSERT_NE(r.npy.data, nullptr);
      auto *bytes = static_cast<const uint8_t *>(r.npy.data);
      EXPECT_EQ(std::vector<uint8_t>(bytes, bytes + r.npy.size_bytes), data);
      hmcrt_npy_free(&r.npy);
      EXPECT_EQ(r.npy.data, nullptr);
      std::remove(path.c_str());
    }
  }
}

TEST(Npy, WritesTheBytesNumpyWrites) {
  std::vector<float> values = {0, 1, 2, 3, 4, 5};
  hmc_tensor t{};
  t.dtype = HMC_DTYPE_FLOAT32;
  t.rank = 2;
  t.shape[0] = 2;
  t.shape[1] = 3;
  t.data = values.data();
  t.size_bytes = values.size() * sizeof(float);
  std::string path = tempPath("numpy_bytes");
  ASSERT_EQ(hmcrt_npy_write(path.c_str(), &t, nullptr, 0), HMC_OK);
  // np.save(path, np.arange(6, dtype='<f4').reshape(2, 3)) writes exactly:
  EXPECT_EQ(readFile(path), npyBytes(kDict23, floats(values)));
  std::remove(path.c_str());
}

TEST(Npy, ReadsFormatVersions1To3AndHeaderVariants) {
  std::string data = floats({0, 1, 2, 3, 4, 5});
  const std::vector<std::pair<std::string, std::string>> files = {
      {"v1", npyBytes(kDict23, data, 1)},
      {"v2", npyBytes(kDict23, data, 2)},
      {"v3", npyBytes(kDict23, data, 3)},
      {"reordered",
       npyBytes("{\"shape\": (2,3), \"fortran_order\": False, \"descr\": "
                "'<f4'}",
                data)},
      {"no_trailing_comma",
       npyBytes("{'descr':'<f4','fortran_order':False,'shape':(2, 3,)}", data)},
  };
  for (const auto &[name, bytes] : files) {
    SCOPED_TRACE(name);
    std::string path = tempPath(name);
    writeFile(path, bytes);
    ReadResult r = readNpy(path);
    ASSERT_EQ(r.status, HMC_OK) << r.error;
    EXPECT_EQ(r.npy.dtype, HMC_DTYPE_FLOAT32);
    EXPECT_EQ(r.npy.rank, 2);
    EXPECT_EQ(r.npy.shape[0], 2);
    EXPECT_EQ(r.npy.shape[1], 3);
    EXPECT_EQ(std::memcmp(r.npy.data, data.data(), data.size()), 0);
    hmcrt_npy_free(&r.npy);
    std::remove(path.c_str());
  }
}

TEST(Npy, RejectsMalformedFiles) {
  std::string data = floats({0, 1, 2, 3, 4, 5});
  std::string good = npyBytes(kDict23, data);
  expectRejected("empty", "", HMC_ERROR_INVALID_ARGUMENT, "not a .npy file");
  expectRejected("garbage", "this is not an array at all, just text\n",
                 HMC_ERROR_INVALID_ARGUMENT, "magic");
  expectRejected("version", npyBytes(kDict23, data, 4),
                 HMC_ERROR_INVALID_ARGUMENT, "version 4.0");
  expectRejected("truncated_data", good.substr(0, good.size() - 1),
                 HMC_ERROR_INVALID_ARGUMENT,
                 "truncated data: shape (2, 3) of float32 needs 24 bytes, the "
                 "file has 23");
  expectRejected("truncated_header", good.substr(0, 40),
                 HMC_ERROR_INVALID_ARGUMENT, "truncated header");
  expectRejected("trailing", good + "xx", HMC_ERROR_INVALID_ARGUMENT,
                 "2 bytes of unexpected data");
  expectRejected(
      "fortran",
      npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
               data),
      HMC_ERROR_INVALID_ARGUMENT, "Fortran-order arrays are not supported");
  expectRejected(
      "uint8",
      npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }",
               "abc"),
      HMC_ERROR_DTYPE, "dtype '|u1' is not supported");
  expectRejected(
      "big_endian",
      npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }",
               data),
      HMC_ERROR_DTYPE, "dtype '>f4' is not supported");
  expectRejected(
      "negative",
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
               data),
      HMC_ERROR_INVALID_ARGUMENT, "shape entry 0 is not a non-negative");
  expectRejected("huge",
                 npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': "
                          "(4294967296, 4294967296, 4294967296), }",
                          data),
                 HMC_ERROR_SHAPE, "is too large");
  expectRejected("huge_dim",
                 npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': "
                          "(99999999999999999999,), }",
                          data),
                 HMC_ERROR_INVALID_ARGUMENT, "shape entry 0");
  expectRejected("rank9",
                 npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': "
                          "(1, 1, 1, 1, 1, 1, 1, 1, 1), }",
                          floats({1})),
                 HMC_ERROR_SHAPE, "more than 8 dimensions");
  expectRejected("missing_key",
                 npyBytes("{'descr': '<f4', 'shape': (2, 3), }", data),
                 HMC_ERROR_INVALID_ARGUMENT, "needs 'descr'");
  expectRejected("repeated_key",
                 npyBytes("{'descr': '<f4', 'descr': '<f4', 'fortran_order': "
                          "False, 'shape': (2, 3), }",
                          data),
                 HMC_ERROR_INVALID_ARGUMENT, "repeated key 'descr'");
  expectRejected("unterminated", npyBytes("{'descr': '<f4", data),
                 HMC_ERROR_INVALID_ARGUMENT, "'descr' is not a short string");
  expectRejected("after_dict", npyBytes(std::string(kDict23) + " x", data),
                 HMC_ERROR_INVALID_ARGUMENT, "after the dictionary");
  expectRejected(
      "bool_value",
      npyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
               std::string("\x01\x02\x00", 3)),
      HMC_ERROR_INVALID_ARGUMENT, "bool element 1 has value 2");
  std::string bigHeader = good;
  bigHeader[8] = '\xff';
  bigHeader[9] = '\xff';
  expectRejected("header_past_end", bigHeader, HMC_ERROR_INVALID_ARGUMENT,
                 "truncated header: 65535 bytes announced");
  std::string v2 = npyBytes(kDict23, data, 2);
  v2[11] = '\x7f';
  expectRejected("header_too_large", v2, HMC_ERROR_INVALID_ARGUMENT,
                 "is larger than");
}

TEST(Npy, RejectsMissingFilesAndDirectories) {
  ReadResult r = readNpy("/nonexistent/x.npy");
  EXPECT_EQ(r.status, HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(r.error.find("/nonexistent/x.npy: cannot open"), std::string::npos)
      << r.error;
  r = readNpy(::testing::TempDir());
  EXPECT_EQ(r.status, HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(r.error.find("not a regular file"), std::string::npos) << r.error;
}

// Every prefix of a valid file, and every single-byte corruption of its
// header, must be answered with a status, never a crash or an overread
// (run under ASan to check the latter).
TEST(Npy, SurvivesTruncationAndCorruption) {
  std::string good = npyBytes(kDict23, floats({0, 1, 2, 3, 4, 5}));
  std::string path = tempPath("fuzz");
  for (size_t n = 0; n < good.size(); n++) {
    writeFile(path, good.substr(0, n));
    ReadResult r = readNpy(path);
    EXPECT_NE(r.status, HMC_OK) << "prefix " << n;
  }
  const char probes[] = {'\0', '\'', '"', '(', ')',  ',',   ':',
                         '{',  '}',  '9', '-', '\\', '\xff'};
  for (size_t i = 0; i < 128; i++) {
    for (char c : probes) {
      std::string bytes = good;
      bytes[i] = c;
      writeFile(path, bytes);
      ReadResult r = readNpy(path);
      if (r.status == HMC_OK)
        hmcrt_npy_free(&r.npy);
      else
        EXPECT_FALSE(r.error.empty());
    }
  }
  std::remove(path.c_str());
}

TEST(Npy, WriterRejectsInvalidTensors) {
  std::string path = tempPath("invalid");
  float value = 1;
  hmc_tensor t{};
  t.dtype = HMC_DTYPE_FLOAT32;
  t.rank = 1;
  t.shape[0] = 2;
  t.data = &value;
  t.size_bytes = sizeof(value);
  char error[256] = "";
  EXPECT_EQ(hmcrt_npy_write(path.c_str(), &t, error, sizeof(error)),
            HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(error).find("needs 8 bytes, the tensor has 4"),
            std::string::npos)
      << error;
  t.shape[0] = 1;
  t.dtype = static_cast<hmc_dtype>(42);
  EXPECT_EQ(hmcrt_npy_write(path.c_str(), &t, error, sizeof(error)),
            HMC_ERROR_DTYPE);
  t.dtype = HMC_DTYPE_FLOAT32;
  t.rank = 9;
  EXPECT_EQ(hmcrt_npy_write(path.c_str(), &t, error, sizeof(error)),
            HMC_ERROR_SHAPE);
  t.rank = 1;
  EXPECT_EQ(hmcrt_npy_write("/nonexistent/dir/x.npy", &t, error, sizeof(error)),
            HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(error).find("/nonexistent/dir/x.npy: cannot create"),
            std::string::npos)
      << error;
  EXPECT_EQ(hmcrt_npy_write(nullptr, &t, error, sizeof(error)),
            HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(hmcrt_npy_write(path.c_str(), nullptr, error, sizeof(error)),
            HMC_ERROR_INVALID_ARGUMENT);
}

TEST(Dtype, NamesAndSizes) {
  EXPECT_STREQ(hmcrt_dtype_name(HMC_DTYPE_FLOAT32), "float32");
  EXPECT_STREQ(hmcrt_dtype_name(HMC_DTYPE_FLOAT64), "float64");
  EXPECT_STREQ(hmcrt_dtype_name(HMC_DTYPE_INT32), "int32");
  EXPECT_STREQ(hmcrt_dtype_name(HMC_DTYPE_INT64), "int64");
  EXPECT_STREQ(hmcrt_dtype_name(HMC_DTYPE_BOOL), "bool");
  EXPECT_STREQ(hmcrt_dtype_name(static_cast<hmc_dtype>(99)), "unknown");
  EXPECT_EQ(hmcrt_dtype_size(static_cast<hmc_dtype>(99)), 0u);
}

} // namespace
