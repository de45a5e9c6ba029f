// Record for tfidf_vectorizer against a plain Python reading of the ONNX TfIdfVectorizer
// specification (the reference counts every n-gram by enumerating token positions).
#include "op_record.h"
#include "ops/registry.h"

#include <sstream>

using namespace sinter;
using sinter::testing::expect_error;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;

namespace {

constexpr const char* kTfIdfRef = R"PY(
def tfidf_ref(x, w, min_n, max_n, max_skip, mode, counts, indexes, pool):
    grams = []
    for k in range(len(counts)):
        b = counts[k]
        e = counts[k + 1] if k + 1 < len(counts) else len(pool)
        grams += [tuple(pool[p:p + k + 1]) for p in range(b, e, k + 1)]
    rows = [x.tolist()] if x.dim() == 1 else x.tolist()
    cols = max(indexes) + 1 if indexes else 0
    out = torch.zeros(len(rows), cols, dtype=torch.float32)
    for r, row in enumerate(rows):
        for g, gram in enumerate(grams):
            n = len(gram)
            if n < min_n or n > max_n:
                continue
            found = set()
            for d in (range(1, max_skip + 2) if n > 1 else [1]):
                for s in range(len(row)):
                    pos = [s + i * d for i in range(n)]
                    if pos[-1] < len(row) and tuple(row[p] for p in pos) == gram:
                        found.add((s, d))
            c = float(len(found))
            wg = 1.0 if w is None else float(w[g])
            v = c if mode == 'TF' else (wg if c > 0 else 0.0) if mode == 'IDF' else c * wg
            out[r, indexes[g]] += v
    return out[0] if x.dim() == 1 else out
)PY";

struct Cfg {
  int64_t min_n, max_n, skip;
  std::string mode;
  std::vector<int64_t> counts, indexes, pool;
  bool weights, batch;
};

std::string py_list(const std::vector<int64_t>& v) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
  return os.str();
}

Tensor call_tfidf(const Tensor& x, const Tensor& w, const Cfg& c) {
  return ops::call(*ops::Registry::get().find("tfidf_vectorizer"), {x, w},
                   {c.min_n, c.max_n, c.skip, c.mode, DimVector(IntArrayRef(c.counts)), DimVector(IntArrayRef(c.indexes)),
                    DimVector(IntArrayRef(c.pool))});
}

}  // namespace

TEST(TextOps, TfIdfVectorizer) {
  // ONNX's backend pool: unigrams 2 3 5 4, bigrams (5 6) (7 8) (6 7); and one with trigrams and
  // a permuted column order.
  const std::vector<int64_t> pool = {2, 3, 5, 4, 5, 6, 7, 8, 6, 7}, idx = {0, 1, 2, 3, 4, 5, 6};
  const std::vector<Cfg> cfgs = {
      {2, 2, 0, "TF", {0, 4}, idx, pool, false, false},
      {1, 2, 5, "TF", {0, 4}, idx, pool, false, true},
      {2, 2, 5, "TF", {0, 4}, idx, pool, false, true},
      {2, 2, 0, "TF", {0, 0}, {0, 1, 2}, {5, 6, 7, 8, 6, 7}, false, false},  // no unigrams
      {1, 2, 1, "IDF", {0, 4}, idx, pool, true, true},
      {1, 2, 1, "IDF", {0, 4}, idx, pool, false, false},
      {1, 3, 2, "TFIDF", {0, 2, 6}, {3, 0, 2, 1, 4}, {2, 3, 5, 6, 7, 8, 5, 6, 7}, true, true},
      {1, 1, 0, "TFIDF", {0}, {1, 0, 2}, {2, 3, 5}, false, false},
  };
  for (const Cfg& cfg : cfgs) {
    OpRecord r;
    r.ops = {"tfidf_vectorizer"};
    r.stmt = kTfIdfRef;
    std::ostringstream os;
    os << "tfidf_ref(a0, " << (cfg.weights ? "a1" : "None") << ", " << cfg.min_n << ", " << cfg.max_n << ", " << cfg.skip << ", '"
       << cfg.mode << "', " << py_list(cfg.counts) << ", " << py_list(cfg.indexes) << ", " << py_list(cfg.pool) << ")";
    r.torch = os.str();
    r.fn = [cfg](const TensorList& t) { return TensorList{call_tfidf(t[0], cfg.weights ? t[1] : Tensor(), cfg)}; };
    r.samples = [cfg](DType d) {
      Tensor w = make_tensor({static_cast<int64_t>(cfg.indexes.size())}, kFloat, 0.5, 2);
      DimVector shape = cfg.batch ? DimVector{3, 9} : DimVector{12};
      return std::vector<OpSample>{{{make_tensor(shape, d, 2, 9), w}, "tokens " + shape_str(shape)},
                                   {{tensor({1, 1, 3, 3, 3, 7, 2, 8, 6, 7, 5, 6}).to(d), w}, "ONNX backend tokens"},
                                   {{make_tensor({0}, d), w}, "empty"}};
    };
    r.dtypes = {kLong, kInt};
    r.grad_inputs = {};
    r.gradcheck = false;
    const Cfg bad = cfgs[0];
    r.errors = {
        expect_error<ValueError>("gram lengths", [bad] { Cfg c = bad; c.min_n = 3; call_tfidf(ones({4}, kLong), {}, c); },
                                 "tfidf_vectorizer: expected 1 <= min_gram_length <= max_gram_length"),
        expect_error<ValueError>("mode", [bad] { Cfg c = bad; c.mode = "BM25"; call_tfidf(ones({4}, kLong), {}, c); },
                                 "tfidf_vectorizer: mode 'BM25'"),
        expect_error<ValueError>("counts", [bad] { Cfg c = bad; c.counts = {0, 3}; call_tfidf(ones({4}, kLong), {}, c); },
                                 "tfidf_vectorizer: ngram_counts (0, 3) does not split a pool of 10 tokens"),
        expect_error<ValueError>("indexes", [bad] { Cfg c = bad; c.indexes = {0, 1}; call_tfidf(ones({4}, kLong), {}, c); },
                                 "tfidf_vectorizer: ngram_indexes has 2 entries for the 7 n-grams"),
        expect_error<DTypeError>("float tokens", [bad] { call_tfidf(ones({4}), {}, bad); }, "tfidf_vectorizer: expected int32 or int64 tokens"),
        expect_error<ShapeError>("3-D tokens", [bad] { call_tfidf(ones({1, 2, 4}, kLong), {}, bad); }, "tfidf_vectorizer: expected tokens"),
        expect_error<ShapeError>("weights", [bad] { call_tfidf(ones({4}, kLong), ones({3}), bad); }, "tfidf_vectorizer: expected float weights of shape (7)"),
    };
    sinter::testing::check_record(r);
  }
}
