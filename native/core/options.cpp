// SPDX-License-Identifier: MIT
#include "core/options.h"

#include <cmath>
#include <sstream>

namespace mg {

void BadOption(const std::string& key, const std::string& expected, const std::string& received) {
  throw Error(code::kInvalidArg, "Expected " + expected + " for option '" + key + "' but received " + received);
}

const Options::Value& Options::Get(const std::string& key, const char* expected) const {
  auto it = values_.find(key);
  if (it == values_.end()) BadOption(key, expected, "nothing (the option is required)");
  return it->second;
}

double Options::Number(const std::string& key) const {
  if (auto* d = std::get_if<double>(&Get(key, "a number"))) return *d;
  BadOption(key, "a number", "a value of another type");
}

int64_t Options::Int(const std::string& key) const {
  const auto* d = std::get_if<double>(&Get(key, "an integer"));
  if (!d) BadOption(key, "an integer", "a value of another type");
  if (std::floor(*d) != *d || std::fabs(*d) > 9007199254740992.0) {
    std::ostringstream shown;
    shown << *d;
    BadOption(key, "an integer", shown.str());
  }
  return static_cast<int64_t>(*d);
}

bool Options::Bool(const std::string& key) const {
  if (auto* b = std::get_if<bool>(&Get(key, "a boolean"))) return *b;
  BadOption(key, "a boolean", "a value of another type");
}

std::string Options::String(const std::string& key) const {
  if (auto* s = std::get_if<std::string>(&Get(key, "a string"))) return *s;
  BadOption(key, "a string", "a value of another type");
}

}  // namespace mg
