#include "sinter/io/csv.h"

#include <charconv>
#include <cmath>

#include "sinter/io/file.h"
#include "sinter/ops/factory.h"

namespace sinter::io {

using detail::str_cat;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parse_number(std::string_view f, double& v) {
  f = trim(f);
  if (!f.empty() && f.front() == '+') f.remove_prefix(1);
  if (f.empty()) return false;
  auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
  return ec == std::errc() && p == f.data() + f.size();
}

std::vector<std::string_view> split(std::string_view line, char delim) {
  std::vector<std::string_view> out;
  size_t b = 0;
  while (true) {
    size_t e = line.find(delim, b);
    out.push_back(line.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
    if (e == std::string_view::npos) break;
    b = e + 1;
  }
  return out;
}

}  // namespace

CsvTable parse_csv(std::string_view text, const CsvOptions& options, const std::string& name) {
  CsvTable table;
  std::vector<double> values;
  size_t width = 0;
  int64_t rows = 0;
  bool first = true;
  size_t line_no = 0;
  size_t pos = 0;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;  // UTF-8 byte order mark
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (trim(line).empty()) continue;
    auto fields = split(line, options.delimiter_);
    if (first) {
      first = false;
      width = fields.size();
      bool header = options.header_ == CsvOptions::Header::Yes;
      if (options.header_ == CsvOptions::Header::Auto) {
        double v;
        for (auto f : fields)
          if (!parse_number(f, v)) header = true;
      }
      if (header) {
        for (auto f : fields) {
          f = trim(f);
          if (f.size() >= 2 && (f.front() == '"' || f.front() == '\'') && f.back() == f.front())
            f = f.substr(1, f.size() - 2);
          table.columns.emplace_back(f);
        }
        continue;
      }
    }
    if (fields.size() != width)
      throw IOError(str_cat("csv '", name, "': line ", line_no, " has ", fields.size(), " fields, expected ", width));
    for (size_t c = 0; c < fields.size(); ++c) {
      double v;
      if (!parse_number(fields[c], v))
        throw IOError(str_cat("csv '", name, "': line ", line_no, ", column ", c + 1,
                              table.columns.size() > c ? str_cat(" ('", table.columns[c], "')") : std::string(),
                              ": '", std::string(trim(fields[c]).substr(0, 64)), "' is not a number"));
      values.push_back(v);
    }
    ++rows;
  }
  table.values = sinter::tensor(values, kDouble).reshape({rows, static_cast<int64_t>(width)}).to(options.dtype_);
  return table;
}

CsvTable read_csv_table(const std::string& path, const CsvOptions& options) {
  return parse_csv(read_file(path), options, path);
}

Tensor read_csv(const std::string& path, const CsvOptions& options) { return read_csv_table(path, options).values; }

}  // namespace sinter::io
