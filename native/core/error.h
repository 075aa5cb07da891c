// SPDX-License-Identifier: MIT
// mg::Error: a failure with a stable code. Native code throws it (or lets c10::Error fly);
// the N-API layer turns every exception into a one-line JS Error carrying `code`.
#pragma once

#include <stdexcept>
#include <string>

namespace mg {

// Stable error codes, mirrored in lib/errors.ts.
namespace code {
inline constexpr const char* kInvalidArg = "ERR_INVALID_ARG";
inline constexpr const char* kDisposed = "ERR_DISPOSED";
inline constexpr const char* kShape = "ERR_SHAPE";
inline constexpr const char* kDtype = "ERR_DTYPE";
inline constexpr const char* kDevice = "ERR_DEVICE";
inline constexpr const char* kBusy = "ERR_BUSY";
inline constexpr const char* kNonFinite = "ERR_NON_FINITE";
inline constexpr const char* kFile = "ERR_FILE";
inline constexpr const char* kStateDict = "ERR_STATE_DICT";
inline constexpr const char* kUnknownModule = "ERR_UNKNOWN_MODULE";
inline constexpr const char* kTorch = "ERR_TORCH";
inline constexpr const char* kOutOfMemory = "ERR_OUT_OF_MEMORY";
inline constexpr const char* kInternal = "ERR_INTERNAL";
// Distributed training (native/dist): not built in, store unreachable, no answer in time,
// a peer's connection lost.
inline constexpr const char* kDistUnavailable = "ERR_DIST_UNAVAILABLE";
inline constexpr const char* kDistStore = "ERR_DIST_STORE";
inline constexpr const char* kDistTimeout = "ERR_DIST_TIMEOUT";
inline constexpr const char* kDistPeer = "ERR_DIST_PEER";
}  // namespace code

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

// What a caught exception becomes at the JS boundary.
struct ErrorInfo {
  std::string code;
  std::string message;
};

// Classifies the exception currently being handled (call inside a catch block).
ErrorInfo CurrentErrorInfo();

}  // namespace mg
