// Importer entry for TfIdfVectorizer over integer tokens (pool_int64s): the registry op
// tfidf_vectorizer, with the weights attribute as a constant input.
#include "onnx/onnx_internal.h"
#include "sinter/ops/factory.h"

namespace sinter::onnx::detail {
namespace {

constexpr int kMax = kMaxOpset;

void tfidf_build(Ctx& c) {
  if (c.has_attr("pool_strings")) c.unsupported("TfIdfVectorizer with pool_strings (string tokens)");
  if (!c.has_attr("pool_int64s")) c.invalid("needs pool_int64s or pool_strings");
  DType dt = c.dtype(c.in(0));
  if (dt != DType::Long && dt != DType::Int) c.invalid("expects int32 or int64 tokens, got " + std::string(dtype_name(dt)));
  graph::Value* w = nullptr;
  if (c.has_attr("weights")) {
    std::vector<double> f = c.attr_floats("weights");
    Tensor t = empty({static_cast<int64_t>(f.size())}, TensorOptions(DType::Float));
    for (size_t i = 0; i < f.size(); ++i) static_cast<float*>(t.data_ptr())[i] = static_cast<float>(f[i]);
    w = c.constant(t);
  }
  ops::Attrs attrs{c.attr_i("min_gram_length", 1), c.attr_i("max_gram_length", 1), c.attr_i("max_skip_count", 0),
                   c.attr_s("mode", "TF"), dv(c.attr_ints("ngram_counts")), dv(c.attr_ints("ngram_indexes")),
                   dv(c.attr_ints("pool_int64s"))};
  c.set_out(0, c.emit("tfidf_vectorizer", {c.in(0), w}, attrs));
}

const TableRegistrar reg({
    {"TfIdfVectorizer", 9, kMax, tfidf_build},
});

}  // namespace
}  // namespace sinter::onnx::detail
