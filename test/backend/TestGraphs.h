//===- TestGraphs.h - Kernel graphs shared by the backend tests -*- C++ -*-===//

#ifndef HMC_TEST_BACKEND_TESTGRAPHS_H
#define HMC_TEST_BACKEND_TESTGRAPHS_H

#include <nlohmann/json.hpp>

namespace hmc::backend::test {

/// y = x + bias: a [batch, 4] input plus a [1, 4] weight broadcast over the
/// dynamic batch. The names are not C identifiers on purpose.
inline nlohmann::json addGraph() {
  return nlohmann::json::parse(R"({
    "format": "hmc.kernel_graph",
    "version": 1,
    "name": "addmodel",
    "target": "host",
    "symbols": [{"name": "batch", "min": 1, "max": 1024}],
    "buffers": [
      {"id": 0, "name": "x:0", "dtype": "float32", "shape": ["batch", 4],
       "storage": "input"},
      {"id": 1, "name": "bias", "dtype": "float32", "shape": [1, 4],
       "storage": "weight", "offset": 0, "bytes": 16},
      {"id": 2, "name": "onnx::Add_1", "dtype": "float32",
       "shape": ["batch", 4], "storage": "output"}
    ],
    "inputs": [0],
    "outputs": [2],
    "weights": {"file": "addmodel.weights.bin", "size": 16},
    "kernels": [
      {"name": "addmodel_k0", "op": "add", "attrs": {},
       "inputs": [{"role": "lhs", "buffer": 0}, {"role": "rhs", "buffer": 1}],
       "outputs": [{"role": "y", "buffer": 2}]}
    ]
  })");
}

} // namespace hmc::backend::test

#endif // HMC_TEST_BACKEND_TESTGRAPHS_H
