// ONNX backend-test cases: load model.onnx, run each test_data_set_*, compare with the stored
// outputs.
#include "sinter/onnx/backend_test.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <onnx/onnx-data_pb.h>

#include "onnx/onnx_internal.h"
#include "sinter/graph/session.h"

namespace fs = std::filesystem;

namespace sinter::onnx::backend {

std::string testdata_dir() {
  if (const char* e = std::getenv("SINTER_ONNX_TESTDATA")) return e;
  return "/usr/share/libonnx-testdata/data";
}

std::vector<std::string> cases(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw IOError("onnx backend test: '" + dir + "' is not a folder");
  if (fs::exists(fs::path(dir) / "model.onnx", ec)) return {dir};
  std::vector<std::string> r;
  for (auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) r.push_back(e.path().string());
  std::sort(r.begin(), r.end());
  return r;
}

namespace {

// prefix<N>.pb files of a data set folder, in numeric order (input_2 before input_10).
std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<long, fs::path>> r;
  for (auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) != 0 || e.path().extension() != ".pb") continue;
    std::string num = e.path().stem().string().substr(prefix.size());
    if (num.empty() || num.size() > 6 || num.find_first_not_of("0123456789") != std::string::npos)
      throw ValueError("onnx backend test: unexpected file name " + e.path().string());
    r.emplace_back(std::stol(num), e.path());
  }
  std::sort(r.begin(), r.end());
  std::vector<fs::path> out;
  for (auto& [i, p] : r) out.push_back(p);
  return out;
}

std::string compare(const Tensor& got, const Tensor& want, double rtol, double atol) {
  std::ostringstream os;
  if (got.dtype() != want.dtype()) {
    os << "dtype " << got.dtype() << " != expected " << want.dtype();
    return os.str();
  }
  if (got.sizes() != want.sizes()) {
    os << "shape " << shape_str(got.sizes()) << " != expected " << shape_str(want.sizes());
    return os.str();
  }
  if (got.dtype() == DType::String) {  // strings compare exactly
    std::vector<std::string> g = got.strings(), w = want.strings();
    for (size_t i = 0; i < g.size(); ++i)
      if (g[i] != w[i]) {
        os << "element " << i << ": '" << g[i] << "' != expected '" << w[i] << "'";
        return os.str();
      }
    return "";
  }
  Tensor g = got.to(DType::Double).contiguous(), w = want.to(DType::Double).contiguous();
  const double* pg = static_cast<const double*>(g.data_ptr());
  const double* pw = static_cast<const double*>(w.data_ptr());
  for (int64_t i = 0; i < g.numel(); ++i) {
    double a = pg[i], b = pw[i];
    if (std::isnan(a) && std::isnan(b)) continue;
    if (a == b) continue;
    if (!(std::abs(a - b) <= atol + rtol * std::abs(b))) {
      os << "element " << i << ": " << a << " != expected " << b;
      return os.str();
    }
  }
  return "";
}

// ONNX's test generator stores bfloat16 tensors as UINT16 (numpy has no bfloat16): where the
// model's value is bfloat16, read a UINT16 tensor file as the bfloat16 bits it holds.
Tensor load_case_tensor(const fs::path& f, DType want) {
  if (want != DType::BFloat16) return load_tensor(f.string());
  LoadOptions o;
  o.base_dir = f.parent_path().string();  // as load_tensor does
  std::string bytes = detail::read_file(f.string(), o.max_file_bytes);
  ::onnx::TensorProto t;
  detail::parse_message(bytes, t, f.string());
  if (t.data_type() == ::onnx::TensorProto::UINT16) t.set_data_type(::onnx::TensorProto::BFLOAT16);
  return detail::tensor_from_proto(t, o, f.string());
}

// A data file for graph value v: a TensorProto, or for sequences and optionals the
// SequenceProto / OptionalProto the test generator writes.
graph::RunValue load_case_value(const fs::path& f, const graph::Value* v) {
  using graph::ValueType;
  if (!v || v->is_tensor()) return load_case_tensor(f, v ? v->dtype : DType::Float);
  LoadOptions o;
  o.base_dir = f.parent_path().string();
  std::string bytes = detail::read_file(f.string(), o.max_file_bytes);
  auto from_seq = [&](const ::onnx::SequenceProto& sp) {
    std::vector<Tensor> ts;
    if (sp.sequence_values_size() || sp.map_values_size() || sp.optional_values_size() || sp.sparse_tensor_values_size())
      throw NotImplementedError(f.string() + ": sequences of non-tensors are not supported");
    for (auto& t : sp.tensor_values()) ts.push_back(detail::tensor_from_proto(t, o, f.string()));
    return graph::RunValue::seq(std::move(ts));
  };
  if (v->type == ValueType::Sequence) {
    ::onnx::SequenceProto sp;
    detail::parse_message(bytes, sp, f.string());
    return from_seq(sp);
  }
  ::onnx::OptionalProto op;
  detail::parse_message(bytes, op, f.string());
  if (op.has_tensor_value()) return detail::tensor_from_proto(op.tensor_value(), o, f.string());
  if (op.has_sequence_value()) return from_seq(op.sequence_value());
  return graph::RunValue::none();
}

std::string compare_value(const graph::RunValue& got, const graph::RunValue& want, double rtol, double atol) {
  if (got.kind != want.kind) return std::string("got ") + got.kind_name() + ", expected " + want.kind_name();
  if (got.is_tensor()) return compare(got.tensor, want.tensor, rtol, atol);
  if (got.sequence.size() != want.sequence.size())
    return "sequence of length " + std::to_string(got.sequence.size()) + " != expected " +
           std::to_string(want.sequence.size());
  for (size_t i = 0; i < got.sequence.size(); ++i) {
    std::string m = compare(got.sequence[i], want.sequence[i], rtol, atol);
    if (!m.empty()) return "sequence element " + std::to_string(i) + ": " + m;
  }
  return "";
}

}  // namespace

CaseResult run_case(const std::string& dir, double rtol, double atol) {
  CaseResult r;
  std::unique_ptr<graph::Graph> g;
  try {
    g = load((fs::path(dir) / "model.onnx").string());
  } catch (const NotImplementedError& e) {
    r.status = CaseResult::Skipped;
    r.reason = e.what();
    return r;
  } catch (const std::exception& e) {
    r.reason = std::string("load: ") + e.what();
    return r;
  }
  try {
    graph::Session s(*g);
    std::vector<fs::path> sets;
    for (auto& e : fs::directory_iterator(dir))
      if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
    std::sort(sets.begin(), sets.end());
    if (sets.empty()) {
      r.reason = "no test_data_set_* folders";
      return r;
    }
    for (auto& set : sets) {
      std::vector<graph::RunValue> inputs, expected;
      auto in_files = numbered_files(set, "input_"), out_files = numbered_files(set, "output_");
      for (size_t i = 0; i < in_files.size(); ++i)
        inputs.push_back(load_case_value(in_files[i], i < g->inputs().size() ? g->inputs()[i] : nullptr));
      for (size_t i = 0; i < out_files.size(); ++i)
        expected.push_back(load_case_value(out_files[i], i < g->outputs().size() ? g->outputs()[i] : nullptr));
      if (inputs.size() != g->inputs().size()) {
        r.reason = "data set has " + std::to_string(inputs.size()) + " inputs, the graph " + std::to_string(g->inputs().size());
        return r;
      }
      auto out = s.run_values(inputs);
      if (out.size() != expected.size()) {
        r.reason = "got " + std::to_string(out.size()) + " outputs, expected " + std::to_string(expected.size());
        return r;
      }
      for (size_t i = 0; i < out.size(); ++i) {
        std::string m = compare_value(out[i], expected[i], rtol, atol);
        if (!m.empty()) {
          r.reason = set.filename().string() + " output " + std::to_string(i) + ": " + m;
          return r;
        }
      }
    }
  } catch (const std::exception& e) {
    r.reason = std::string("run: ") + e.what();
    return r;
  }
  r.status = CaseResult::Passed;
  return r;
}

}  // namespace sinter::onnx::backend
