//===- HMDialect.cpp - the hm dialect -------------------------------------===//

#include "hm/HMDialect.h"

#include "hm/HMOpsDialect.cpp.inc"

void hm::HMDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "hm/HMOps.cpp.inc"
      >();
}
