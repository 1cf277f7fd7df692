# Every external dependency is a Debian package (see docs/building.md).

# MLIR / LLVM 19.
set(MLIR_DIR /usr/lib/llvm-19/lib/cmake/mlir CACHE PATH "MLIR CMake dir")
find_package(MLIR REQUIRED CONFIG)
list(APPEND CMAKE_MODULE_PATH ${MLIR_CMAKE_DIR} ${LLVM_CMAKE_DIR})
include(TableGen)
include(AddLLVM)
include(AddMLIR)
include(HandleLLVMOptions)
separate_arguments(HMC_LLVM_DEFINITIONS NATIVE_COMMAND ${LLVM_DEFINITIONS})
include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})

# Halide 14 (LLVM 14) is imported by hand: find_package(Halide) would reset
# LLVM_DIR. Only hmc-halide links it, never a target that links MLIR.
find_library(HALIDE_LIBRARY NAMES Halide14 Halide REQUIRED)
find_path(HALIDE_INCLUDE_DIR Halide.h PATH_SUFFIXES halide14 REQUIRED)
get_filename_component(HALIDE_LIBRARY_DIR ${HALIDE_LIBRARY} DIRECTORY)
# Halide's autoscheduler plugins (Adams2019, Li2018, Mullapudi2016).
find_path(HALIDE_PLUGIN_DIR libautoschedule_adams2019.so
  PATHS ${HALIDE_LIBRARY_DIR}/halide14 ${HALIDE_LIBRARY_DIR} NO_DEFAULT_PATH
  REQUIRED)
add_library(hmc_halide_lib SHARED IMPORTED)
set_target_properties(hmc_halide_lib PROPERTIES
  IMPORTED_LOCATION ${HALIDE_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${HALIDE_INCLUDE_DIR})

# ONNX 1.12 needs protobuf found first.
find_package(Protobuf REQUIRED)
find_package(ONNX CONFIG REQUIRED)

find_package(fmt REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(GTest REQUIRED)
find_package(Threads REQUIRED)

find_program(HMC_LIT NAMES lit lit.py
  PATHS ${LLVM_TOOLS_BINARY_DIR} ${LLVM_TOOLS_BINARY_DIR}/../build/utils/lit
  REQUIRED)
find_program(HMC_FILECHECK FileCheck PATHS ${LLVM_TOOLS_BINARY_DIR} REQUIRED)
set(HMC_PYTHON /usr/bin/python3 CACHE FILEPATH
  "Python with torch, onnx and numpy (tests and example generation)")
