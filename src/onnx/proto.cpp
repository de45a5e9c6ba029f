// ONNX protobuf decoding: files, size-limited parsing, TensorProto -> Tensor (inline, typed
// fields and external data), with every size checked before anything is allocated.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "onnx/onnx_internal.h"
#include "sinter/ops/factory.h"

namespace fs = std::filesystem;

namespace sinter::onnx {
namespace detail {

std::string read_file(const std::string& path, int64_t max_bytes) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw IOError("onnx: " + path + ": no such file (or not a regular file)");
  auto size = fs::file_size(path, ec);
  if (ec) throw IOError("onnx: " + path + ": cannot read size: " + ec.message());
  if (static_cast<int64_t>(size) > max_bytes)
    throw IOError(sinter::detail::str_cat("onnx: ", path, ": file is ", size, " bytes, above the limit of ", max_bytes));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IOError("onnx: " + path + ": cannot open");
  std::string s(size, '\0');
  f.read(s.data(), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(f.gcount()) != size) throw IOError("onnx: " + path + ": short read");
  return s;
}

void parse_message(std::string_view bytes, google::protobuf::MessageLite& msg, const std::string& what) {
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    throw IOError(sinter::detail::str_cat("onnx: ", what, ": ", bytes.size(), " bytes is above protobuf's 2 GiB limit"));
  google::protobuf::io::ArrayInputStream ais(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream cis(&ais);
  cis.SetTotalBytesLimit(INT_MAX);
  cis.SetRecursionLimit(64);
  if (!msg.ParseFromCodedStream(&cis) || !cis.ConsumedEntireMessage())
    throw IOError("onnx: " + what + ": not a valid " + msg.GetTypeName() + " (truncated or corrupt protobuf)");
}

DType dtype_from_onnx(int32_t t, const std::string& what) {
  using TP = ::onnx::TensorProto;
  switch (t) {
    case TP::FLOAT: return DType::Float;
    case TP::DOUBLE: return DType::Double;
    case TP::FLOAT16: return DType::Half;
    case TP::BFLOAT16: return DType::BFloat16;
    case TP::INT64: return DType::Long;
    case TP::INT32: return DType::Int;
    case TP::INT16: return DType::Short;
    case TP::INT8: return DType::Char;
    case TP::UINT8: return DType::Byte;
    case TP::UINT16: return DType::UInt16;
    case TP::UINT32: return DType::UInt32;
    case TP::UINT64: return DType::UInt64;
    case TP::BOOL: return DType::Bool;
    case TP::STRING: return DType::String;
    default: break;
  }
  const char* name = TP::DataType_IsValid(t) ? TP::DataType_Name(static_cast<TP::DataType>(t)).c_str() : "invalid";
  throw NotImplementedError(sinter::detail::str_cat("onnx: ", what, ": element type ", t, " (", name, ") is not supported"));
}

DimVector checked_dims(const google::protobuf::RepeatedField<int64_t>& dims, DType dt, const LoadOptions& o,
                       const std::string& what) {
  DimVector out;
  if (dims.size() > 64) throw ShapeError(sinter::detail::str_cat("onnx: ", what, ": ", dims.size(), " dims is too many"));
  const int64_t limit = std::max<int64_t>(o.max_tensor_bytes, 1) / static_cast<int64_t>(element_size(dt));
  int64_t numel = 1;
  bool zero = false;
  for (int64_t d : dims) {
    if (d < 0) throw ShapeError(sinter::detail::str_cat("onnx: ", what, ": negative dim ", d));
    if (d > limit) throw ShapeError(sinter::detail::str_cat("onnx: ", what, ": dim ", d, " exceeds the tensor size limit"));
    if (d == 0) zero = true;
    else if (!zero) {
      if (numel > limit / d)
        throw ShapeError(sinter::detail::str_cat("onnx: ", what, ": shape holds more than ", o.max_tensor_bytes,
                                                 " bytes (the tensor size limit)"));
      numel *= d;
    }
    out.push_back(d);
  }
  return out;
}

namespace {

std::string read_external(const ::onnx::TensorProto& t, const LoadOptions& o, const std::string& what, int64_t want) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (auto& kv : t.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset" || kv.key() == "length") {
      int64_t v = 0;
      try {
        size_t pos = 0;
        v = std::stoll(kv.value(), &pos);
        if (pos != kv.value().size()) throw std::invalid_argument("");
      } catch (const std::exception&) {
        throw ValueError("onnx: " + what + ": external data " + kv.key() + " '" + kv.value() + "' is not an integer");
      }
      if (v < 0) throw ValueError("onnx: " + what + ": negative external data " + kv.key());
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty()) throw ValueError("onnx: " + what + ": external data without a location");
  if (o.base_dir.empty())
    throw IOError("onnx: " + what + ": external data '" + location + "' needs the model's folder (load from a file)");
  fs::path rel(location);
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory())
    throw IOError("onnx: " + what + ": external data location '" + location + "' is an absolute path");
  for (auto& part : rel)
    if (part == "..") throw IOError("onnx: " + what + ": external data location '" + location + "' leaves the model's folder");
  std::error_code ec;
  fs::path base = fs::canonical(o.base_dir, ec);
  if (ec) throw IOError("onnx: " + what + ": model folder '" + o.base_dir + "': " + ec.message());
  fs::path full = fs::canonical(base / rel, ec);
  if (ec) throw IOError("onnx: " + what + ": external data '" + location + "': " + ec.message());
  auto b = base.string(), f = full.string();
  if (f.size() <= b.size() || f.compare(0, b.size(), b) != 0 || (b.back() != '/' && f[b.size()] != '/'))
    throw IOError("onnx: " + what + ": external data '" + location + "' resolves outside the model's folder");
  if (!fs::is_regular_file(full, ec)) throw IOError("onnx: " + what + ": external data '" + location + "' is not a file");
  int64_t size = static_cast<int64_t>(fs::file_size(full, ec));
  if (ec) throw IOError("onnx: " + what + ": external data '" + location + "': " + ec.message());
  if (length < 0) length = size >= offset ? size - offset : -1;
  if (offset > size || length < 0 || length > size - offset)
    throw IOError(sinter::detail::str_cat("onnx: ", what, ": external data '", location, "' range [", offset, ", +", length,
                                          ") is outside the file (", size, " bytes)"));
  if (length != want)
    throw ValueError(sinter::detail::str_cat("onnx: ", what, ": external data holds ", length, " bytes, the shape needs ", want));
  std::ifstream in(full, std::ios::binary);
  in.seekg(offset);
  std::string s(static_cast<size_t>(length), '\0');
  in.read(s.data(), length);
  if (in.gcount() != length) throw IOError("onnx: " + what + ": short read of external data '" + location + "'");
  return s;
}

template <class Src, class Dst>
void copy_typed(const Src& src, Dst* dst) {
  int64_t k = 0;
  for (auto v : src) dst[k++] = static_cast<Dst>(v);
}

}  // namespace

Tensor tensor_from_proto(const ::onnx::TensorProto& t, const LoadOptions& o, const std::string& what_in) {
  const std::string what = t.name().empty() ? what_in : what_in + " '" + t.name() + "'";
  if (t.has_segment()) throw NotImplementedError("onnx: " + what + ": segmented tensors are not supported");
  DType dt = dtype_from_onnx(t.data_type(), what);
  DimVector dims = checked_dims(t.dims(), dt, o, what);
  int64_t numel = 1;
  for (auto d : dims) numel *= d;
  const int64_t es = static_cast<int64_t>(element_size(dt)), bytes = numel * es;
  auto count_check = [&](int64_t have, const char* field) {
    if (have != numel)
      throw ValueError(sinter::detail::str_cat("onnx: ", what, ": ", field, " holds ", have, " values, the shape ",
                                               shape_str(dims), " needs ", numel));
  };
  if (dt == DType::String) {  // string_data only: strings have no raw byte form
    if (t.data_location() == ::onnx::TensorProto::EXTERNAL || t.has_raw_data())
      throw ValueError("onnx: " + what + ": a STRING tensor must hold its values in string_data");
    count_check(t.string_data_size(), "string_data");
    int64_t total = bytes;
    for (const std::string& v : t.string_data()) total += static_cast<int64_t>(v.size());
    if (total > o.max_tensor_bytes)
      throw ShapeError(sinter::detail::str_cat("onnx: ", what, ": strings hold more than ", o.max_tensor_bytes,
                                               " bytes (the tensor size limit)"));
    Tensor out = empty(dims, dtype(dt));
    std::copy(t.string_data().begin(), t.string_data().end(), out.data_ptr<std::string>());
    return out;
  }
  if (t.data_location() == ::onnx::TensorProto::EXTERNAL) {
    std::string data = read_external(t, o, what, bytes);
    Tensor out = empty(dims, dtype(dt));
    if (bytes) std::memcpy(out.data_ptr(), data.data(), static_cast<size_t>(bytes));
    return out;
  }
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    if (static_cast<int64_t>(raw.size()) != bytes)
      throw ValueError(sinter::detail::str_cat("onnx: ", what, ": raw_data holds ", raw.size(), " bytes, the shape ",
                                               shape_str(dims), " x ", dtype_name(dt), " needs ", bytes));
    Tensor out = empty(dims, dtype(dt));
    if (bytes) std::memcpy(out.data_ptr(), raw.data(), static_cast<size_t>(bytes));
    return out;
  }
  // typed fields: the value count is checked before anything is allocated
  switch (dt) {
    case DType::Float: count_check(t.float_data_size(), "float_data"); break;
    case DType::Double: count_check(t.double_data_size(), "double_data"); break;
    case DType::Long: count_check(t.int64_data_size(), "int64_data"); break;
    case DType::UInt32:
    case DType::UInt64: count_check(t.uint64_data_size(), "uint64_data"); break;
    default: count_check(t.int32_data_size(), "int32_data"); break;
  }
  Tensor out = empty(dims, dtype(dt));
  void* p = out.data_ptr();
  switch (dt) {
    case DType::Float: copy_typed(t.float_data(), static_cast<float*>(p)); break;
    case DType::Double: copy_typed(t.double_data(), static_cast<double*>(p)); break;
    case DType::Long: copy_typed(t.int64_data(), static_cast<int64_t*>(p)); break;
    case DType::Int: copy_typed(t.int32_data(), static_cast<int32_t*>(p)); break;
    case DType::Short: copy_typed(t.int32_data(), static_cast<int16_t*>(p)); break;
    case DType::Char: copy_typed(t.int32_data(), static_cast<int8_t*>(p)); break;
    case DType::Byte: copy_typed(t.int32_data(), static_cast<uint8_t*>(p)); break;
    case DType::UInt16: copy_typed(t.int32_data(), static_cast<uint16_t*>(p)); break;  // the spec's home for uint16
    case DType::UInt32: copy_typed(t.uint64_data(), static_cast<uint32_t*>(p)); break;
    case DType::UInt64: copy_typed(t.uint64_data(), static_cast<uint64_t*>(p)); break;
    case DType::Bool: {
      auto* d = static_cast<bool*>(p);
      for (int64_t k = 0; k < numel; ++k) d[k] = t.int32_data(static_cast<int>(k)) != 0;
      break;
    }
    case DType::Half:
    case DType::BFloat16: copy_typed(t.int32_data(), static_cast<uint16_t*>(p)); break;
    case DType::String: break;  // read above
  }
  return out;
}

}  // namespace detail

Tensor parse_tensor(std::string_view bytes, const std::string& name, LoadOptions options) {
  ::onnx::TensorProto t;
  detail::parse_message(bytes, t, name);
  return detail::tensor_from_proto(t, options, name);
}

Tensor load_tensor(const std::string& path, LoadOptions options) {
  std::string bytes = detail::read_file(path, options.max_file_bytes);
  if (options.base_dir.empty()) options.base_dir = fs::path(path).parent_path().string();
  if (options.base_dir.empty()) options.base_dir.assign(1, '.');
  return parse_tensor(bytes, path, options);
}

}  // namespace sinter::onnx
