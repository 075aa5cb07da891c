// SPDX-License-Identifier: MIT
#include "core/options.h"

#include <cmath>

#include "core/error.h"

namespace mg {
namespace {
[[noreturn]] void Bad(const std::string& key, const std::string& expected) {
  throw Error(code::kInvalidArg, "Expected " + expected + " for option '" + key + "'");
}
}  // namespace

double Options::Number(const std::string& key, double fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (auto* d = std::get_if<double>(&it->second)) return *d;
  Bad(key, "a number");
}

int64_t Options::Int(const std::string& key, int64_t fallback, int64_t min, int64_t max) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  auto* d = std::get_if<double>(&it->second);
  if (!d || std::floor(*d) != *d || *d < static_cast<double>(min) || *d > static_cast<double>(max)) {
    Bad(key, "an integer between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return static_cast<int64_t>(*d);
}

bool Options::Bool(const std::string& key, bool fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (auto* b = std::get_if<bool>(&it->second)) return *b;
  Bad(key, "a boolean");
}

std::string Options::String(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (auto* s = std::get_if<std::string>(&it->second)) return *s;
  Bad(key, "a string");
}

std::vector<double> Options::Numbers(const std::string& key, const std::vector<double>& fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (auto* v = std::get_if<std::vector<double>>(&it->second)) return *v;
  Bad(key, "an array of numbers");
}

}  // namespace mg
