// The importer on hand-built models (hostile ones must fail with typed errors) and on models
// exported by PyTorch (sinter's output against torch's).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "test_util.h"
#include "sinter/error.h"
#include "sinter/graph/session.h"
#include "sinter/io/npy.h"
#include "sinter/onnx.h"
#include "sinter/onnx/backend_test.h"
#include "sinter/ops/factory.h"

using sinter::testing::expect_throws;
namespace fs = std::filesystem;
using namespace sinter;
namespace sx = sinter::onnx;

namespace {

fs::path temp_dir(const std::string& tag) {
  fs::path p = fs::temp_directory_path() / ("sinter_onnx_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

void write(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary);
  f << bytes;
}

// Y = Relu(X) + W, X: f32[2, 3], W an initializer f32[3].
::onnx::ModelProto base_model() {
  ::onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("t");
  auto* x = g->add_input();
  x->set_name("X");
  x->mutable_type()->mutable_tensor_type()->set_elem_type(::onnx::TensorProto::FLOAT);
  auto* sh = x->mutable_type()->mutable_tensor_type()->mutable_shape();
  sh->add_dim()->set_dim_param("N");
  sh->add_dim()->set_dim_value(3);
  auto* w = g->add_initializer();
  w->set_name("W");
  w->set_data_type(::onnx::TensorProto::FLOAT);
  w->add_dims(3);
  for (float v : {1.f, 2.f, 3.f}) w->add_float_data(v);
  auto* n1 = g->add_node();
  n1->set_name("relu1");
  n1->set_op_type("Relu");
  n1->add_input("X");
  n1->add_output("R");
  auto* n2 = g->add_node();
  n2->set_name("add1");
  n2->set_op_type("Add");
  n2->add_input("R");
  n2->add_input("W");
  n2->add_output("Y");
  g->add_output()->set_name("Y");
  return m;
}

std::string bytes_of(const ::onnx::ModelProto& m) { return m.SerializeAsString(); }


}  // namespace

TEST(OnnxImport, BaseModelRuns) {
  auto g = sx::load_bytes(bytes_of(base_model()));
  graph::Session s(*g);
  Tensor x = empty({2, 3});
  float* p = static_cast<float*>(x.data_ptr());
  for (int i = 0; i < 6; ++i) p[i] = static_cast<float>(i) - 3.f;
  auto y = s.run({x});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(g->outputs()[0]->name, "Y");
  const float* q = static_cast<const float*>(y[0].contiguous().data_ptr());
  const float want[6] = {1, 2, 3, 1, 3, 5};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(q[i], want[i]) << i;
}

TEST(OnnxImport, TruncatedProtobuf) {
  std::string b = bytes_of(base_model());
  auto msg = expect_throws<IOError>([&] { sx::load_bytes(b.substr(0, b.size() / 2)); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  expect_throws<IOError>([&] { sx::load_bytes(std::string("\xff\xff\xff\xff garbage", 12)); });
}

TEST(OnnxImport, FileSizeLimit) {
  fs::path d = temp_dir("size");
  write(d / "m.onnx", bytes_of(base_model()));
  sx::LoadOptions o;
  o.max_file_bytes = 10;
  auto msg = expect_throws<IOError>([&] { sx::load((d / "m.onnx").string(), o); });
  EXPECT_NE(msg.find("limit"), std::string::npos) << msg;
  expect_throws<IOError>([&] { sx::load((d / "missing.onnx").string()); });
  fs::remove_all(d);
}

TEST(OnnxImport, NegativeAndHugeDims) {
  auto m = base_model();
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(1)->set_dim_value(-3);
  expect_throws<ShapeError>([&] { sx::load_bytes(bytes_of(m)); });

  m = base_model();
  m.mutable_graph()->mutable_initializer(0)->set_dims(0, -1);
  expect_throws<ShapeError>([&] { sx::load_bytes(bytes_of(m)); });

  // 2^40 x 2^40 floats: must be refused before any allocation.
  m = base_model();
  auto* w = m.mutable_graph()->mutable_initializer(0);
  w->clear_dims();
  w->add_dims(int64_t(1) << 40);
  w->add_dims(int64_t(1) << 40);
  expect_throws<ShapeError>([&] { sx::load_bytes(bytes_of(m)); });

  m = base_model();
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(1)->set_dim_value(
      int64_t(1) << 62);
  expect_throws<ShapeError>([&] { sx::load_bytes(bytes_of(m)); });
}

TEST(OnnxImport, ShortTensorData) {
  auto m = base_model();
  auto* w = m.mutable_graph()->mutable_initializer(0);
  w->clear_float_data();
  w->set_raw_data(std::string(8, '\0'));  // 2 floats for shape (3,)
  auto msg = expect_throws<ValueError>([&] { sx::load_bytes(bytes_of(m)); });
  EXPECT_NE(msg.find("raw_data"), std::string::npos) << msg;

  m = base_model();
  m.mutable_graph()->mutable_initializer(0)->mutable_float_data()->RemoveLast();
  expect_throws<ValueError>([&] { sx::load_bytes(bytes_of(m)); });
}

// Unsigned tensors in the TensorProto fields the spec gives them: uint16 in int32_data, uint32
// and uint64 in uint64_data, each also as raw little-endian bytes.
TEST(OnnxImport, UnsignedTensorFields) {
  using TP = ::onnx::TensorProto;
  const uint64_t big = (uint64_t(1) << 63) + 5, top = ~uint64_t(0);
  TP t;
  t.set_data_type(TP::UINT64);
  t.add_dims(3);
  for (uint64_t v : {uint64_t(0), big, top}) t.add_uint64_data(v);
  Tensor x = sx::parse_tensor(t.SerializeAsString());
  ASSERT_EQ(x.dtype(), kUInt64);
  const auto* p = static_cast<const uint64_t*>(x.data_ptr());
  EXPECT_EQ(p[0], 0u);
  EXPECT_EQ(p[1], big);
  EXPECT_EQ(p[2], top);

  t.set_data_type(TP::UINT32);
  t.clear_uint64_data();
  for (uint64_t v : {7u, 4000000000u, 1u}) t.add_uint64_data(v);
  x = sx::parse_tensor(t.SerializeAsString());
  ASSERT_EQ(x.dtype(), kUInt32);
  EXPECT_EQ(static_cast<const uint32_t*>(x.data_ptr())[1], 4000000000u);

  TP h;
  h.set_data_type(TP::UINT16);
  h.add_dims(2);
  h.add_int32_data(65535);
  h.add_int32_data(3);
  x = sx::parse_tensor(h.SerializeAsString());
  ASSERT_EQ(x.dtype(), kUInt16);
  EXPECT_EQ(static_cast<const uint16_t*>(x.data_ptr())[0], 65535);

  TP r;  // raw_data
  r.set_data_type(TP::UINT32);
  r.add_dims(2);
  const uint32_t raw[2] = {0xffffffffu, 9u};
  r.set_raw_data(std::string(reinterpret_cast<const char*>(raw), sizeof raw));
  x = sx::parse_tensor(r.SerializeAsString());
  EXPECT_EQ(static_cast<const uint32_t*>(x.data_ptr())[0], 0xffffffffu);

  t.add_uint64_data(1);  // 4 values for shape (3,)
  auto msg = expect_throws<ValueError>([&] { sx::parse_tensor(t.SerializeAsString()); });
  EXPECT_NE(msg.find("uint64_data"), std::string::npos) << msg;
}

TEST(OnnxImport, DanglingAndDuplicateNames) {
  auto m = base_model();
  m.mutable_graph()->mutable_node(1)->set_input(0, "nowhere");
  auto msg = expect_throws<ValueError>([&] { sx::load_bytes(bytes_of(m)); });
  EXPECT_NE(msg.find("add1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nowhere"), std::string::npos) << msg;

  m = base_model();
  m.mutable_graph()->mutable_node(1)->set_output(0, "R");  // R defined twice
  m.mutable_graph()->mutable_output(0)->set_name("R");
  expect_throws<ValueError>([&] { sx::load_bytes(bytes_of(m)); });

  m = base_model();
  m.mutable_graph()->add_output()->set_name("Y");  // listed twice
  expect_throws<ValueError>([&] { sx::load_bytes(bytes_of(m)); });

  m = base_model();
  m.mutable_graph()->mutable_output(0)->set_name("missing");
  expect_throws<ValueError>([&] { sx::load_bytes(bytes_of(m)); });
}

TEST(OnnxImport, UnsupportedOpNamesNodeTypeAndOpset) {
  auto m = base_model();
  m.mutable_graph()->mutable_node(0)->set_op_type("FancyOp");
  auto msg = expect_throws<NotImplementedError>([&] { sx::load_bytes(bytes_of(m)); });
  EXPECT_NE(msg.find("relu1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("FancyOp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("opset 13"), std::string::npos) << msg;

  m = base_model();
  m.mutable_opset_import(0)->set_version(99);
  expect_throws<NotImplementedError>([&] { sx::load_bytes(bytes_of(m)); });
}

TEST(OnnxImport, OutOfRangeAttribute) {
  auto m = base_model();
  auto* n = m.mutable_graph()->mutable_node(0);
  n->set_op_type("Softmax");
  auto* a = n->add_attribute();
  a->set_name("axis");
  a->set_type(::onnx::AttributeProto::INT);
  a->set_i(5);
  auto msg = expect_throws<ValueError>([&] { sx::load_bytes(bytes_of(m)); });
  EXPECT_NE(msg.find("axis"), std::string::npos) << msg;

  a->set_type(::onnx::AttributeProto::STRING);
  a->set_s("x");
  expect_throws<ValueError>([&] { sx::load_bytes(bytes_of(m)); });
}

TEST(OnnxImport, ExternalDataStaysInsideTheModelFolder) {
  fs::path root = temp_dir("ext");
  fs::path d = root / "model";
  fs::create_directories(d);
  float vals[3] = {4, 5, 6};
  write(d / "w.bin", std::string(reinterpret_cast<const char*>(vals), sizeof vals));
  write(root / "outside.bin", std::string(reinterpret_cast<const char*>(vals), sizeof vals));
  fs::create_symlink(root / "outside.bin", d / "link.bin");

  auto with_location = [&](const std::string& loc) {
    auto m = base_model();
    auto* w = m.mutable_graph()->mutable_initializer(0);
    w->clear_float_data();
    w->set_data_location(::onnx::TensorProto::EXTERNAL);
    auto* kv = w->add_external_data();
    kv->set_key("location");
    kv->set_value(loc);
    write(d / "m.onnx", bytes_of(m));
    return (d / "m.onnx").string();
  };
  // Inside the folder: loads and the values arrive.
  auto g = sx::load(with_location("w.bin"));
  const float* p = static_cast<const float*>(g->value("W")->constant.data_ptr());
  EXPECT_EQ(p[0], 4);
  EXPECT_EQ(p[2], 6);

  auto msg = expect_throws<IOError>([&] { sx::load(with_location("../outside.bin")); });
  EXPECT_NE(msg.find(".."), std::string::npos) << msg;
  expect_throws<IOError>([&] { sx::load(with_location((root / "outside.bin").string())); });
  msg = expect_throws<IOError>([&] { sx::load(with_location("link.bin")); });
  EXPECT_NE(msg.find("outside"), std::string::npos) << msg;
  expect_throws<IOError>([&] { sx::load(with_location("absent.bin")); });
  // From bytes there is no folder: external data is refused.
  auto m = base_model();
  auto* w = m.mutable_graph()->mutable_initializer(0);
  w->clear_float_data();
  w->set_data_location(::onnx::TensorProto::EXTERNAL);
  auto* kv = w->add_external_data();
  kv->set_key("location");
  kv->set_value("w.bin");
  expect_throws<IOError>([&] { sx::load_bytes(bytes_of(m)); });
  fs::remove_all(root);
}

TEST(OnnxImport, TableCoversTheCoreOps) {
  std::set<std::string> ops;
  for (auto& e : sx::supported_ops()) ops.insert(e.op_type);
  for (const char* want : {"Conv", "Gemm", "MatMul", "Relu", "Reshape", "Softmax", "BatchNormalization", "Resize",
                           "LayerNormalization", "Slice", "Gather", "Concat", "Clip", "Pad", "Squeeze", "Unsqueeze"})
    EXPECT_TRUE(ops.count(want)) << want;
}

// Models exported by PyTorch 1.13 (torch.onnx.export): sinter's output against torch's (rnn:
// bidirectional ONNX LSTM, GRU with linear_before_reset, Relu RNN).
TEST(OnnxImport, PytorchExportedModels) {
  fs::path d = temp_dir("torch");
  std::string cmd = "/usr/bin/python3 " SINTER_SOURCE_DIR "/tests/onnx/export_torch.py " + d.string() + " > " +
                    (d / "log.txt").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "export failed; see " << (d / "log.txt");
  struct Case {
    const char* name;
    int sets;
  };
  for (Case c : {Case{"conv", 1}, Case{"mlp", 2}, Case{"upsample", 2}, Case{"rnn", 1}}) {
    SCOPED_TRACE(c.name);
    auto g = sx::load((d / (std::string(c.name) + ".onnx")).string());
    if (std::string(c.name) == "mlp") {
      // the exported erf-based GELU pattern becomes one gelu node
      int gelus = 0, erfs = 0;
      for (auto* n : g->nodes()) {
        gelus += n->kind == "gelu";
        erfs += n->kind == "erf";
      }
      EXPECT_EQ(gelus, 1);
      EXPECT_EQ(erfs, 0);
      EXPECT_EQ(g->inputs()[0]->shape->at(0).str(), "batch");
    }
    if (std::string(c.name) == "upsample") {
      // sizes from the input's run-time shape and factors on symbolic dims: the resize op
      int resizes = 0;
      for (auto* n : g->nodes()) resizes += n->kind == "resize";
      EXPECT_EQ(resizes, 5);
      EXPECT_EQ(g->inputs()[0]->shape->at(2).str(), "h");
    }
    graph::Session s(*g);
    for (int k = 0; k < c.sets; ++k) {
      Tensor x = io::load_npy((d / (std::string(c.name) + "_in_" + std::to_string(k) + ".npy")).string());
      Tensor want = io::load_npy((d / (std::string(c.name) + "_out_" + std::to_string(k) + ".npy")).string());
      auto y = s.run({x});
      ASSERT_EQ(y.size(), 1u);
      EXPECT_LE(sinter::testing::scaled_error(y[0], want), 1e-4) << "set " << k;
    }
  }
  auto info = sx::inspect((d / "conv.onnx").string());
  EXPECT_GT(info.flops, 0);
  EXPECT_GT(info.parameters, 1000);
  EXPECT_EQ(info.inputs.size(), 1u);
  fs::remove_all(d);
}

// Random byte corruption of real models: every load either succeeds or throws a sinter error.
TEST(OnnxImport, CorruptedModelsFailCleanly) {
  std::vector<std::string> models;
  for (const char* m : {"pytorch-converted/test_Conv2d", "pytorch-converted/test_BatchNorm2d_eval",
                        "pytorch-operator/test_operator_flatten", "node/test_slice", "node/test_resize_upsample_scales_nearest"}) {
    std::ifstream f((fs::path(sx::backend::testdata_dir()) / m / "model.onnx").string(), std::ios::binary);
    ASSERT_TRUE(f) << m;
    models.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  uint64_t state = 12345;
  auto rnd = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  sx::LoadOptions o;
  o.max_tensor_bytes = int64_t(1) << 26;
  int ok = 0, rejected = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    std::string b = models[iter % models.size()];
    int flips = 1 + static_cast<int>(rnd() % 4);
    for (int k = 0; k < flips; ++k) b[rnd() % b.size()] = static_cast<char>(rnd());
    if (iter % 7 == 0) b.resize(rnd() % b.size());
    try {
      auto g = sx::load_bytes(b, o);
      ++ok;
    } catch (const sinter::InternalError& e) {
      ADD_FAILURE() << "internal error on corrupted model " << iter << ": " << e.what();
    } catch (const sinter::Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 100);
  std::printf("corrupted models: %d loaded, %d rejected\n", ok, rejected);
}

// RNN / GRU / LSTM attributes and shapes that do not fit: typed errors naming the node.
TEST(OnnxImport, RecurrentLayersRejectBadAttributes) {
  std::ifstream f((fs::path(sx::backend::testdata_dir()) / "node/test_lstm_defaults/model.onnx").string(), std::ios::binary);
  ASSERT_TRUE(f);
  ::onnx::ModelProto base;
  ASSERT_TRUE(base.ParseFromString(std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>())));
  ASSERT_EQ(base.graph().node(0).op_type(), "LSTM");
  auto with_attr = [&](const char* name, auto set) {
    ::onnx::ModelProto m = base;
    auto* node = m.mutable_graph()->mutable_node(0);
    for (int i = node->attribute_size() - 1; i >= 0; --i)
      if (node->attribute(i).name() == name) node->mutable_attribute()->DeleteSubrange(i, 1);
    auto* a = node->add_attribute();
    a->set_name(name);
    set(a);
    return bytes_of(m);
  };
  auto msg = expect_throws<ValueError>([&] {
    sx::load_bytes(with_attr("hidden_size", [](auto* a) { a->set_type(::onnx::AttributeProto::INT), a->set_i(5); }));
  });
  EXPECT_NE(msg.find("LSTM"), std::string::npos) << msg;
  expect_throws<ValueError>([&] {
    sx::load_bytes(with_attr("direction", [](auto* a) { a->set_type(::onnx::AttributeProto::STRING), a->set_s("sideways"); }));
  });
  expect_throws<ValueError>([&] {
    sx::load_bytes(with_attr("activations", [](auto* a) { a->set_type(::onnx::AttributeProto::STRINGS), a->add_strings("Tanh"); }));
  });
  expect_throws<NotImplementedError>([&] {
    sx::load_bytes(with_attr("activations", [](auto* a) {
      a->set_type(::onnx::AttributeProto::STRINGS);
      for (const char* s : {"Sigmoid", "Gaussian", "Tanh"}) a->add_strings(s);
    }));
  });
  expect_throws<NotImplementedError>([&] {
    sx::load_bytes(with_attr("input_forget", [](auto* a) { a->set_type(::onnx::AttributeProto::INT), a->set_i(1); }));
  });
  expect_throws<ValueError>([&] {
    sx::load_bytes(with_attr("clip", [](auto* a) { a->set_type(::onnx::AttributeProto::FLOAT), a->set_f(-1); }));
  });
}

// Inputs the loader fuzzer (tests/fuzz) once crashed on: each must load or fail with a sinter error.
TEST(OnnxImport, FuzzRegressions) {
  int n = 0;
  for (auto& e : fs::directory_iterator(SINTER_SOURCE_DIR "/tests/fuzz/regressions")) {
    std::ifstream f(e.path(), std::ios::binary);
    std::string b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ++n;
    try {
      auto g = sx::load_bytes(b);
      graph::Session s(*g);
    } catch (const InternalError& err) {
      ADD_FAILURE() << e.path() << ": " << err.what();
    } catch (const Error&) {
    }
  }
  EXPECT_GT(n, 0);
}

// TfIdfVectorizer over string tokens (pool_strings) is refused by name until string tensors exist.
TEST(OnnxImport, TfIdfVectorizerStringPool) {
  std::ifstream f((fs::path(sx::backend::testdata_dir()) / "node/test_tfidfvectorizer_tf_only_bigrams_skip0/model.onnx").string(),
                  std::ios::binary);
  ASSERT_TRUE(f);
  ::onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>())));
  auto* node = m.mutable_graph()->mutable_node(0);
  ASSERT_EQ(node->op_type(), "TfIdfVectorizer");
  for (int i = node->attribute_size() - 1; i >= 0; --i)
    if (node->attribute(i).name() == "pool_int64s") node->mutable_attribute()->DeleteSubrange(i, 1);
  auto* a = node->add_attribute();
  a->set_name("pool_strings");
  a->set_type(::onnx::AttributeProto::STRINGS);
  for (const char* s : {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}) a->add_strings(s);
  auto msg = expect_throws<NotImplementedError>([&] { sx::load_bytes(bytes_of(m)); });
  EXPECT_NE(msg.find("pool_strings"), std::string::npos) << msg;
}

// Slice with run-time starts/ends and a constant negative step: ONNX's clamping of the bounds
// (start into [0, n - 1], end into [-1, n - 1]) against Python's own reverse slicing.
TEST(OnnxImport, SliceRunTimeBoundsNegativeStep) {
  ::onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("t");
  auto add_input = [&](const char* name, int elem, int64_t dim) {
    auto* v = g->add_input();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(elem);
    v->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(dim);
  };
  add_input("X", ::onnx::TensorProto::FLOAT, 7);
  add_input("S", ::onnx::TensorProto::INT64, 1);
  add_input("E", ::onnx::TensorProto::INT64, 1);
  for (const char* name : {"A", "K"}) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(::onnx::TensorProto::INT64);
    t->add_dims(1);
    t->add_int64_data(name[0] == 'A' ? 0 : -2);
  }
  auto* n = g->add_node();
  n->set_op_type("Slice");
  for (const char* in : {"X", "S", "E", "A", "K"}) n->add_input(in);
  n->add_output("Y");
  g->add_output()->set_name("Y");
  auto gr = sx::load_bytes(bytes_of(m));
  graph::Session s(*gr);
  Tensor x = arange(7).to(DType::Float);
  struct Case {
    int64_t start, end;
    std::vector<float> want;  // list(range(7))[start:end:-2] with ONNX's clamping
  };
  const int64_t big = std::numeric_limits<int64_t>::max();
  for (const Case& k : {Case{6, 0, {6, 4, 2}}, Case{-1, -8, {6, 4, 2, 0}}, Case{big, -big, {6, 4, 2, 0}}, Case{3, 5, {}},
                        Case{10, 2, {6, 4}}, Case{-3, -100, {4, 2, 0}}}) {
    auto y = s.run({x, tensor(std::vector<int64_t>{k.start}), tensor(std::vector<int64_t>{k.end})});
    ASSERT_EQ(y[0].numel(), static_cast<int64_t>(k.want.size())) << k.start << ":" << k.end;
    Tensor yc = y[0].contiguous();
    for (size_t i = 0; i < k.want.size(); ++i) EXPECT_EQ(static_cast<const float*>(yc.data_ptr())[i], k.want[i]) << k.start << ":" << k.end;
  }
}
