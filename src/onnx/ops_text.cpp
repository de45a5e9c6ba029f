// Importer entries for string ops: StringNormalizer (Cast and CastLike to and from STRING are
// the ordinary Cast entries: to_dtype converts between strings and numbers).
#include "onnx/onnx_internal.h"
#include "sinter/ops/factory.h"

namespace sinter::onnx::detail {
namespace {

void string_normalizer_build(Ctx& c) {
  std::vector<std::string> words = c.attr_strings("stopwords");
  graph::Value* stop = c.constant(sinter::strings(words));
  c.set_out(0, c.emit("string_normalizer", {c.in(0), stop},
                      {c.attr_s("case_change_action", "NONE"), c.attr_i("is_case_sensitive", 0) != 0,
                       c.attr_s("locale", "")}));
}

const TableRegistrar text_entries({
    {"StringNormalizer", 10, kMaxOpset, string_normalizer_build},
});

}  // namespace
}  // namespace sinter::onnx::detail
