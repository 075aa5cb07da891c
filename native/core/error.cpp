// SPDX-License-Identifier: MIT
#include "core/error.h"

#include <c10/util/Exception.h>

#include <exception>
#include <new>

namespace mg {
namespace {

// LibTorch's what_without_backtrace() may still carry "Exception raised from ..." context
// lines; JS users get the first sentence block on one line.
std::string OneLine(const std::string& raw) {
  std::string msg = raw;
  const auto cut = msg.find("Exception raised from");
  if (cut != std::string::npos) msg = msg.substr(0, cut);
  for (char& c : msg) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  std::string squeezed;
  squeezed.reserve(msg.size());
  for (char c : msg) {
    if (c == ' ' && !squeezed.empty() && squeezed.back() == ' ') continue;
    squeezed.push_back(c);
  }
  while (!squeezed.empty() && squeezed.back() == ' ') squeezed.pop_back();
  while (!squeezed.empty() && squeezed.front() == ' ') squeezed.erase(squeezed.begin());
  if (squeezed.size() > 1000) squeezed = squeezed.substr(0, 1000) + "...";
  return squeezed.empty() ? "LibTorch error" : squeezed;
}

}  // namespace

ErrorInfo CurrentErrorInfo() {
  try {
    throw;
  } catch (const Error& e) {
    return {e.code(), e.what()};
  } catch (const c10::OutOfMemoryError& e) {
    return {code::kOutOfMemory, OneLine(e.what_without_backtrace())};
  } catch (const c10::Error& e) {
    return {code::kTorch, OneLine(e.what_without_backtrace())};
  } catch (const std::bad_alloc&) {
    return {code::kOutOfMemory, "out of memory"};
  } catch (const std::exception& e) {
    return {code::kInternal, OneLine(e.what())};
  } catch (...) {
    return {code::kInternal, "unknown native exception"};
  }
}

}  // namespace mg
