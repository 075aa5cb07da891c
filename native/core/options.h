// SPDX-License-Identifier: MIT
// Options: the plain values of one JS options object ({ gfDim: 32, rnnType: 'LSTM' }), read by
// module constructors and native functions. The TypeScript wrappers fill in every default (from
// the config schema, src/config/schema.ts, for anything a user can set) and validate ranges, so
// the values a module is built from are required here: a missing one is a bug in the caller,
// reported with the option's name. Modes arrive as strings and leave as enums (Enum), so no
// forward compares strings.
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.h"

namespace mg {

class Options {
 public:
  using Value = std::variant<double, bool, std::string, std::vector<double>>;

  void Set(const std::string& key, Value value) { values_[key] = std::move(value); }
  bool Has(const std::string& key) const { return values_.count(key) > 0; }

  // Required values: ERR_INVALID_ARG naming the option when it is missing or of another type.
  double Number(const std::string& key) const;
  int64_t Int(const std::string& key) const;
  bool Bool(const std::string& key) const;
  std::string String(const std::string& key) const;
  // A mode string mapped to its enum once, here: Enum<Reduction>("reduction", {{"mean", kMean}, ...}).
  template <typename E>
  E Enum(const std::string& key, std::initializer_list<std::pair<const char*, E>> names) const;

  // Per-call switches whose one default lives at the call site (checkFinite, grad, officialInit).
  bool Bool(const std::string& key, bool fallback) const { return Has(key) ? Bool(key) : fallback; }
  // An update that keeps the current value when the key is absent (Adam's setOptions).
  double Number(const std::string& key, double current) const { return Has(key) ? Number(key) : current; }

 private:
  const Value& Get(const std::string& key, const char* expected) const;
  std::map<std::string, Value> values_;
};

[[noreturn]] void BadOption(const std::string& key, const std::string& expected, const std::string& received);

template <typename E>
E Options::Enum(const std::string& key, std::initializer_list<std::pair<const char*, E>> names) const {
  std::string expected = "one of";
  for (const auto& [name, value] : names) expected += std::string(expected.size() > 6 ? ", '" : " '") + name + "'";
  const auto* s = std::get_if<std::string>(&Get(key, expected.c_str()));
  if (!s) BadOption(key, expected, "a value of another type");
  for (const auto& [name, value] : names) {
    if (*s == name) return value;
  }
  BadOption(key, expected, "'" + *s + "'");
}

}  // namespace mg
