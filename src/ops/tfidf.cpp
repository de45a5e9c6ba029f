// tfidf_vectorizer(self, weights; min_gram_length, max_gram_length, max_skip_count, mode,
//                  ngram_counts, ngram_indexes, pool): ONNX TfIdfVectorizer over integer tokens.
// The pool lists n-grams by length (ngram_counts[k]: where the (k+1)-grams start in pool);
// ngram_indexes[g]: the output column of the g-th n-gram. Per row of self ((C,) or (N, C)), an
// n-gram of n tokens is x[s], x[s + d], ..., x[s + (n-1) d] for every start s and distance
// d = 1 .. max_skip_count + 1 (unigrams counted once per position); n-grams from
// min_gram_length to max_gram_length are counted. mode TF gives the counts, IDF weights[g]
// where the count is positive (1 without weights), TFIDF count * weights[g] (the count without
// weights). Output float, (K,) or (N, K) with K = max(ngram_indexes) + 1.
#include <algorithm>
#include <map>
#include <vector>

#include "ops/registry.h"

namespace sinter {
namespace ops {
namespace {

enum class TfIdfMode { TF, IDF, TFIDF };

struct TfIdf {
  int64_t min_n, max_n, max_skip, columns = 0;
  TfIdfMode mode;
  std::map<std::vector<int64_t>, int64_t> grams;  // n-gram -> its position g in the pool
  std::vector<int64_t> column;                    // column of n-gram g
};

TfIdf tfidf_config(const OpCall& c) {
  const Tensor& x = c.in[0];
  const Tensor& w = c.in[1];
  SINTER_CHECK(x.dtype() == DType::Long || x.dtype() == DType::Int, DTypeError,
               "tfidf_vectorizer: expected int32 or int64 tokens, got ", dtype_name(x.dtype()), " of shape ", shape_str(x.sizes()));
  SINTER_CHECK(x.dim() == 1 || x.dim() == 2, ShapeError, "tfidf_vectorizer: expected tokens (C,) or (N, C), got shape ",
               shape_str(x.sizes()));
  TfIdf t;
  t.min_n = c.attrs.i(0);
  t.max_n = c.attrs.i(1);
  t.max_skip = c.attrs.i(2);
  SINTER_CHECK(t.min_n >= 1 && t.min_n <= t.max_n, ValueError, "tfidf_vectorizer: expected 1 <= min_gram_length <= max_gram_length, got ",
               t.min_n, " and ", t.max_n);
  SINTER_CHECK(t.max_skip >= 0, ValueError, "tfidf_vectorizer: max_skip_count must be >= 0, got ", t.max_skip);
  const std::string& m = c.attrs.str(3);
  SINTER_CHECK(m == "TF" || m == "IDF" || m == "TFIDF", ValueError, "tfidf_vectorizer: mode '", m, "' (expected TF, IDF or TFIDF)");
  t.mode = m == "TF" ? TfIdfMode::TF : m == "IDF" ? TfIdfMode::IDF : TfIdfMode::TFIDF;
  IntArrayRef counts = c.attrs.ints(4), indexes = c.attrs.ints(5), pool = c.attrs.ints(6);
  const int64_t levels = static_cast<int64_t>(counts.size()), pool_len = static_cast<int64_t>(pool.size());
  for (int64_t k = 0; k < levels; ++k) {
    int64_t b = counts[k], e = k + 1 < levels ? counts[k + 1] : pool_len;
    SINTER_CHECK(b >= 0 && b <= e && e <= pool_len && (e - b) % (k + 1) == 0, ValueError, "tfidf_vectorizer: ngram_counts ",
                 shape_str(counts), " does not split a pool of ", pool_len, " tokens into ", k + 1, "-grams at level ", k);
    for (int64_t p = b; p < e; p += k + 1) {
      t.grams.emplace(std::vector<int64_t>(pool.begin() + p, pool.begin() + p + k + 1), static_cast<int64_t>(t.column.size()));
      t.column.push_back(0);
    }
  }
  SINTER_CHECK(static_cast<int64_t>(indexes.size()) == static_cast<int64_t>(t.column.size()), ValueError,
               "tfidf_vectorizer: ngram_indexes has ", indexes.size(), " entries for the ", t.column.size(), " n-grams of the pool");
  for (size_t g = 0; g < indexes.size(); ++g) {
    SINTER_CHECK(indexes[g] >= 0, ValueError, "tfidf_vectorizer: ngram_indexes has a negative entry ", indexes[g]);
    t.column[g] = indexes[g];
    t.columns = std::max(t.columns, indexes[g] + 1);
  }
  if (w.defined())
    SINTER_CHECK(w.dim() == 1 && w.size(0) == static_cast<int64_t>(indexes.size()) && is_floating_point(w.dtype()), ShapeError,
                 "tfidf_vectorizer: expected float weights of shape (", indexes.size(), "), one per n-gram, got ",
                 dtype_name(w.dtype()), shape_str(w.sizes()));
  return t;
}

void tfidf_meta(const OpCall& c, std::array<OutSpec, kMaxOutputs>& out, size_t& n) {
  TfIdf t = tfidf_config(c);
  const Tensor& x = c.in[0];
  out[0].sizes = x.dim() == 1 ? DimVector{t.columns} : DimVector{x.size(0), t.columns};
  out[0].dtype = DType::Float;
  n = 1;
}

void tfidf_kernel(const OpCall& c) {
  const TfIdf t = tfidf_config(c);
  Tensor x = c.in[0].to(DType::Long).contiguous();
  Tensor w = c.in[1].defined() ? c.in[1].to(DType::Double).contiguous() : Tensor();
  const int64_t rows = x.dim() == 1 ? 1 : x.size(0), len = x.size(-1);
  const int64_t* xp = static_cast<const int64_t*>(x.data_ptr());
  const double* wp = w.defined() ? static_cast<const double*>(w.data_ptr()) : nullptr;
  float* yp = static_cast<float*>(c.out[0].data_ptr());
  std::fill(yp, yp + c.out[0].numel(), 0.0f);
  std::vector<int64_t> count(t.column.size()), gram;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t* row = xp + r * len;
    std::fill(count.begin(), count.end(), 0);
    for (int64_t n = t.min_n; n <= t.max_n; ++n)
      for (int64_t d = 1; d <= (n == 1 ? 1 : t.max_skip + 1); ++d)
        for (int64_t s = 0; s + (n - 1) * d < len; ++s) {
          gram.clear();
          for (int64_t k = 0; k < n; ++k) gram.push_back(row[s + k * d]);
          auto it = t.grams.find(gram);
          if (it != t.grams.end()) ++count[static_cast<size_t>(it->second)];
        }
    float* y = yp + r * t.columns;
    for (size_t g = 0; g < count.size(); ++g) {
      double cnt = static_cast<double>(count[g]), wg = wp ? wp[g] : 1.0, v = 0;
      switch (t.mode) {
        case TfIdfMode::TF: v = cnt; break;
        case TfIdfMode::IDF: v = cnt > 0 ? wg : 0.0; break;
        case TfIdfMode::TFIDF: v = cnt * wg; break;
      }
      y[t.column[g]] += static_cast<float>(v);
    }
  }
}

}  // namespace

OpDef& tfidf_vectorizer_op = def("tfidf_vectorizer").input("self").input("weights").attr("min_gram_length", int64_t(1))
                                 .attr("max_gram_length", int64_t(1)).attr("max_skip_count", int64_t(0))
                                 .attr("mode", std::string("TF")).attr("ngram_counts", DimVector{})
                                 .attr("ngram_indexes", DimVector{}).attr("pool", DimVector{})
                                 .set_meta(tfidf_meta).set_cpu(tfidf_kernel).set_onnx("TfIdfVectorizer");

}  // namespace ops
}  // namespace sinter
