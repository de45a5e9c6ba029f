// Numeric CSV files to a 2-D tensor.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "sinter/tensor.h"

namespace sinter::io {

struct CsvOptions {
  enum class Header { Auto, Yes, No };
  /// Auto: the first row is a header when any of its fields is not a number.
  CsvOptions& header(Header h) { header_ = h; return *this; }
  CsvOptions& has_header(bool yes) { header_ = yes ? Header::Yes : Header::No; return *this; }
  CsvOptions& delimiter(char c) { delimiter_ = c; return *this; }
  CsvOptions& dtype(DType d) { dtype_ = d; return *this; }
  Header header_ = Header::Auto;
  char delimiter_ = ',';
  DType dtype_ = kFloat;
};

struct CsvTable {
  std::vector<std::string> columns;  ///< the header row's names (empty without a header)
  Tensor values;                     ///< (rows, columns) of the chosen dtype (float32 by default)
};

/// Every row must have the same number of fields; each field is a number (leading/trailing
/// blanks allowed; nan, inf and -inf accepted). Blank lines are skipped. A bad field is an
/// IOError naming the file, the line and the column.
CsvTable read_csv_table(const std::string& path, const CsvOptions& options = {});
Tensor read_csv(const std::string& path, const CsvOptions& options = {});
CsvTable parse_csv(std::string_view text, const CsvOptions& options = {}, const std::string& name = "<memory>");

}  // namespace sinter::io
