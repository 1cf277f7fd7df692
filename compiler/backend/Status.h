//===- Status.h - Success or an error message ------------------*- C++ -*-===//
//
// The backend reports failures as messages for the user (a bad kernel graph,
// a tool that failed, a file that cannot be written); callers print them.
//
//===----------------------------------------------------------------------===//

#ifndef HMC_BACKEND_STATUS_H
#define HMC_BACKEND_STATUS_H

#include <string>
#include <utility>

namespace hmc::backend {

class [[nodiscard]] Status {
public:
  static Status success() { return Status(); }
  static Status error(std::string message) {
    Status status;
    status.failed_ = true;
    status.message_ = std::move(message);
    return status;
  }

  bool ok() const { return !failed_; }
  const std::string &message() const { return message_; }

private:
  Status() = default;

  bool failed_ = false;
  std::string message_;
};

} // namespace hmc::backend

#endif // HMC_BACKEND_STATUS_H
