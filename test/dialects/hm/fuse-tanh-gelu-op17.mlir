// A layer with nn.GELU(approximate="tanh") in its hypernetworks and as its
// mixing activation (Inputs/tanh-gelu-op17.mlir, written by
// Inputs/make_fusion_inputs.py): torch.onnx spells each GELU as its Tanh
// formula, hm-canonicalize folds the three chains into hm.gelu with
// approximate = "tanh", and the layer fuses with gelu_approximate = "tanh".
// RUN: hmc-opt %S/Inputs/tanh-gelu-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/tanh-gelu-op17.mlir --hm-canonicalize | FileCheck %s --check-prefix=CANON
// RUN: hmc-opt %S/Inputs/tanh-gelu-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE-COUNT-3: hm.tanh
// BEFORE-NOT: hm.gelu

// CANON-COUNT-3: hm.gelu %{{.*}} {approximate = "tanh"}
// CANON-NOT: hm.tanh

// CHECK-LABEL: func.func @main
// CHECK: hm.hyper_mix %arg0 mask %{{.*}} hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", gelu_approximate = "tanh", heads = 2 : i64
// CHECK-NOT: hm.gelu
// CHECK-NOT: hm.tanh
// CHECK-NOT: hm.matmul
