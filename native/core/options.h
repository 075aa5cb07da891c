// SPDX-License-Identifier: MIT
// Options: the plain values of one JS options object ({ gfDim: 32, rnnType: 'LSTM' }), read by
// module constructors with a default and a range. TS validates first; these checks only keep
// a direct native call from building a nonsense module.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace mg {

class Options {
 public:
  using Value = std::variant<double, bool, std::string, std::vector<double>>;

  void Set(const std::string& key, Value value) { values_[key] = std::move(value); }
  bool Has(const std::string& key) const { return values_.count(key) > 0; }

  double Number(const std::string& key, double fallback) const;
  int64_t Int(const std::string& key, int64_t fallback, int64_t min, int64_t max) const;
  bool Bool(const std::string& key, bool fallback) const;
  std::string String(const std::string& key, const std::string& fallback) const;
  std::vector<double> Numbers(const std::string& key, const std::vector<double>& fallback) const;

 private:
  std::map<std::string, Value> values_;
};

}  // namespace mg
