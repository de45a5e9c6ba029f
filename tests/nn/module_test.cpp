// Module base: names, state dicts, modes, hooks, printing, errors.
#include <gtest/gtest.h>

#include <sstream>

#include "nn_ref.h"

using namespace sinter;
using nntest::join_lines;
using nntest::torch_string;

namespace {

// A nested model: a Sequential "features" (conv, batch norm, activation), a ModuleList of heads,
// a ModuleDict, a registered parameter and buffers on the root.
struct NestedImpl : nn::Module {
  NestedImpl() {
    features = register_module(
        "features", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 4, 3).padding(1)), nn::BatchNorm2d(4), nn::ReLU(),
                                   nn::Sequential(nn::Flatten(), nn::Linear(4 * 2 * 2, 8))));
    heads = register_module("heads", nn::ModuleList(nn::Linear(8, 3), nn::Linear(8, 2)));
    extra = register_module("extra", nn::ModuleDict({{"norm", nn::LayerNorm(std::vector<int64_t>{8}).ptr()},
                                                      {"act", nn::GELU().ptr()}}));
    scale = register_parameter("scale", ones({1}));
    register_buffer("steps", zeros({1}, kLong));
    register_buffer("scratch", zeros({2}), /*persistent=*/false);
  }
  Tensor forward(const Tensor& x) {
    Tensor h = features->forward(x);
    h = extra->at<nn::GELUImpl>("act").forward(extra->at<nn::LayerNormImpl>("norm").forward(h));
    return heads->at<nn::LinearImpl>(0).forward(h) * scale;
  }
  nn::Sequential features{nullptr};
  nn::ModuleList heads{nullptr};
  nn::ModuleDict extra{nullptr};
  Tensor scale;
};
SINTER_MODULE(Nested);

const char* kTorchNested =
    "class Nested(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),\n"
    "                                      nn.Sequential(nn.Flatten(), nn.Linear(16, 8)))\n"
    "        self.heads = nn.ModuleList([nn.Linear(8, 3), nn.Linear(8, 2)])\n"
    "        self.extra = nn.ModuleDict({'norm': nn.LayerNorm(8), 'act': nn.GELU()})\n"
    "        self.scale = nn.Parameter(torch.ones(1))\n"
    "        self.register_buffer('steps', torch.zeros(1, dtype=torch.long))\n"
    "        self.register_buffer('scratch', torch.zeros(2), persistent=False)\n"
    "    def forward(self, x):\n"
    "        h = self.features(x)\n"
    "        h = self.extra['act'](self.extra['norm'](h))\n"
    "        return self.heads[0](h) * self.scale\n"
    "m = Nested()\n";

std::string to_string(const nn::Module& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

}  // namespace

TEST(NNModule, NamesMatchPyTorch) {
  Nested net;
  EXPECT_EQ(join_lines(net->named_parameters().keys()),
            torch_string("'\\n'.join(n for n, _ in m.named_parameters())", kTorchNested));
  EXPECT_EQ(join_lines(net->named_buffers().keys()),
            torch_string("'\\n'.join(n for n, _ in m.named_buffers())", kTorchNested));
  EXPECT_EQ(join_lines(net->state_dict().keys()), torch_string("'\\n'.join(m.state_dict().keys())", kTorchNested));
  EXPECT_EQ(join_lines(net->named_modules().keys()),
            torch_string("'\\n'.join(n for n, _ in m.named_modules())", kTorchNested));
  EXPECT_EQ(join_lines(net->named_children().keys()),
            torch_string("'\\n'.join(n for n, _ in m.named_children())", kTorchNested));
  // A few spelled out, so that the comparison above cannot pass vacuously.
  auto keys = net->state_dict().keys();
  EXPECT_EQ(keys.front(), "scale");
  EXPECT_NE(std::find(keys.begin(), keys.end(), "features.1.num_batches_tracked"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "features.3.1.weight"), keys.end());
  EXPECT_EQ(std::find(keys.begin(), keys.end(), "scratch"), keys.end());  // non-persistent
  EXPECT_EQ(net->named_buffers().keys().size(), 5u);                     // scratch is still a buffer
  // Non-recursive views.
  EXPECT_EQ(net->named_parameters(false).keys(), std::vector<std::string>{"scale"});
  EXPECT_EQ(net->children().size(), 3u);
  EXPECT_EQ(net->modules().size(), 14u);
  EXPECT_EQ(net->modules(false).size(), 13u);
}

TEST(NNModule, PrintsLikePyTorch) {
  Nested net;
  EXPECT_EQ(to_string(*net), torch_string("repr(m)", kTorchNested));
  nn::Sequential seq(nn::Linear(784, 256), nn::ReLU(), nn::Dropout(0.2), nn::Linear(256, 10), nn::LogSoftmax(1));
  EXPECT_EQ(to_string(*seq),
            "Sequential(\n  (0): Linear(in_features=784, out_features=256, bias=True)\n  (1): ReLU()\n  (2): "
            "Dropout(p=0.2, inplace=False)\n  (3): Linear(in_features=256, out_features=10, bias=True)\n  (4): "
            "LogSoftmax(dim=1)\n)");
  // Every layer's repr, against torch's.
  nn::Sequential all;
  all->push_back(nn::Conv2d(nn::Conv2dOptions(1, 2, 3).padding("same")));
  all->push_back(nn::Conv2d(nn::Conv2dOptions(2, 2, 3).stride({2, 1}).dilation(2).groups(2).bias(false)));
  all->push_back(nn::Conv2d(nn::Conv2dOptions(2, 2, 3).padding(1).padding_mode("reflect")));
  all->push_back(nn::Conv1d(2, 3, 3));
  all->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(2, 3, 3).stride(2).output_padding(1)));
  all->push_back(nn::BatchNorm2d(2));
  all->push_back(nn::BatchNorm1d(nn::BatchNorm1dOptions(3).eps(1e-3).momentum(std::nullopt).affine(false)));
  all->push_back(nn::LayerNorm(nn::LayerNormOptions({3, 4}).elementwise_affine(false)));
  all->push_back(nn::GroupNorm(2, 4));
  all->push_back(nn::Embedding(nn::EmbeddingOptions(10, 3).padding_idx(0)));
  all->push_back(nn::Dropout(0.5));
  all->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1).ceil_mode(true)));
  all->push_back(nn::MaxPool2d(nn::MaxPool2dOptions({2, 3})));
  all->push_back(nn::AvgPool2d(2));
  all->push_back(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1})));
  all->push_back(nn::Flatten());
  all->push_back(nn::Unflatten(1, std::vector<int64_t>{2, 3}));
  all->push_back(nn::Identity());
  all->push_back(nn::ReLU(true));
  all->push_back(nn::ReLU6());
  all->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
  all->push_back(nn::ELU(nn::ELUOptions().alpha(0.5)));
  all->push_back(nn::SELU());
  all->push_back(nn::GELU(nn::GELUOptions().approximate("tanh")));
  all->push_back(nn::GELU());
  all->push_back(nn::SiLU());
  all->push_back(nn::Mish());
  all->push_back(nn::Softplus());
  all->push_back(nn::Softplus(nn::SoftplusOptions().beta(2).threshold(10)));
  all->push_back(nn::Hardsigmoid());
  all->push_back(nn::Hardswish());
  all->push_back(nn::Hardtanh());
  all->push_back(nn::Sigmoid());
  all->push_back(nn::Tanh());
  all->push_back(nn::Softmax(1));
  all->push_back(nn::LogSoftmax(-1));
  all->push_back(nn::Linear(nn::LinearOptions(3, 4).bias(false)));
  all->push_back(nn::ModuleList(nn::ReLU()));
  all->push_back(nn::Sequential());
  const std::string torch_all =
      "m = nn.Sequential(nn.Conv2d(1, 2, 3, padding='same'), nn.Conv2d(2, 2, 3, stride=(2, 1), dilation=2, groups=2, "
      "bias=False), nn.Conv2d(2, 2, 3, padding=1, padding_mode='reflect'), nn.Conv1d(2, 3, 3), "
      "nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1), nn.BatchNorm2d(2), "
      "nn.BatchNorm1d(3, eps=1e-3, momentum=None, affine=False), nn.LayerNorm((3, 4), elementwise_affine=False), "
      "nn.GroupNorm(2, 4), nn.Embedding(10, 3, padding_idx=0), nn.Dropout(0.5), "
      "nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), nn.MaxPool2d((2, 3)), nn.AvgPool2d(2), "
      "nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Unflatten(1, (2, 3)), nn.Identity(), nn.ReLU(inplace=True), "
      "nn.ReLU6(), nn.LeakyReLU(0.2), nn.ELU(alpha=0.5), nn.SELU(), nn.GELU(approximate='tanh'), nn.GELU(), "
      "nn.SiLU(), nn.Mish(), nn.Softplus(), nn.Softplus(beta=2, threshold=10), nn.Hardsigmoid(), nn.Hardswish(), "
      "nn.Hardtanh(), nn.Sigmoid(), nn.Tanh(), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1), "
      "nn.Linear(3, 4, bias=False), nn.ModuleList([nn.ReLU()]), nn.Sequential())\n";
  EXPECT_EQ(to_string(*all), torch_string("repr(m)", torch_all));
}

TEST(NNModule, StateDictRoundTrip) {
  manual_seed(0);
  Nested a;
  a->features->forward(randn({2, 1, 2, 2}));  // BatchNorm statistics move away from their defaults
  manual_seed(1);
  Nested b;
  auto sd = a->state_dict();
  EXPECT_FALSE(equal(sd["heads.0.weight"], b->state_dict()["heads.0.weight"]));
  Tensor handle = b->heads->at<nn::LinearImpl>(0).weight;  // a handle held elsewhere (an optimizer)
  auto report = b->load_state_dict(sd);
  EXPECT_TRUE(report.missing_keys.empty());
  EXPECT_TRUE(report.unexpected_keys.empty());
  for (const auto& it : b->state_dict()) EXPECT_TRUE(equal(it.value(), sd[it.key()])) << it.key();
  EXPECT_TRUE(equal(handle, sd["heads.0.weight"]));  // copied in place, same tensor
  EXPECT_TRUE(handle.requires_grad());
  EXPECT_FALSE(handle.is_same(sd["heads.0.weight"]));
  EXPECT_EQ(b->state_dict()["features.1.num_batches_tracked"].item<int64_t>(), 1);
  // Outputs agree after loading.
  a->eval();
  b->eval();
  Tensor x = randn({3, 1, 2, 2});
  EXPECT_TRUE(allclose(a(x), b(x)));
  // state_dict values share storage with the module and carry no autograd history.
  auto live = b->state_dict();
  EXPECT_FALSE(live["scale"].requires_grad());
  {
    NoGradGuard g;
    live["scale"].fill_(3);
  }
  EXPECT_EQ(b->scale.item<float>(), 3.0f);
  // load_state_dict records nothing for autograd.
  EXPECT_TRUE(b->scale.is_leaf());
}

TEST(NNModule, LoadStateDictErrors) {
  Nested net;
  auto sd = net->state_dict();
  // Missing and unexpected keys: strict throws naming them and copies nothing.
  auto partial = sd;
  partial.erase("heads.1.bias");
  partial.insert("bogus.weight", zeros({2}));
  Tensor before = net->scale.clone();
  partial.insert_or_assign("scale", full({1}, 5.0f));
  try {
    net->load_state_dict(partial);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("heads.1.bias"), std::string::npos) << msg;
    EXPECT_NE(msg.find("bogus.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unexpected"), std::string::npos) << msg;
  }
  EXPECT_TRUE(equal(net->scale, before));
  // Non-strict: loads the rest and reports.
  auto report = net->load_state_dict(partial, /*strict=*/false);
  EXPECT_EQ(report.missing_keys, std::vector<std::string>{"heads.1.bias"});
  EXPECT_EQ(report.unexpected_keys, std::vector<std::string>{"bogus.weight"});
  EXPECT_EQ(net->scale.item<float>(), 5.0f);
  // Shape mismatch: ShapeError naming the key and both shapes, nothing copied.
  auto bad = net->state_dict();
  bad.insert_or_assign("heads.0.weight", zeros({3, 9}));
  bad.insert_or_assign("scale", full({1}, 9.0f));
  try {
    net->load_state_dict(bad, /*strict=*/false);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("heads.0.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(3, 9)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(3, 8)"), std::string::npos) << msg;
  }
  EXPECT_EQ(net->scale.item<float>(), 5.0f);
  // dtype is converted on load.
  auto dbl = net->state_dict();
  dbl.insert_or_assign("scale", full({1}, 2.5, kDouble));
  net->load_state_dict(dbl);
  EXPECT_EQ(net->scale.dtype(), kFloat);
  EXPECT_EQ(net->scale.item<float>(), 2.5f);
}

TEST(NNModule, LoadsPyTorchWeights) {
  // Weights produced by PyTorch's own state_dict load into the same architecture here.
  auto& ref = sinter::testing::TorchRef::instance();
  if (!ref.available()) GTEST_SKIP() << ref.unavailable_reason();
  Nested net;
  auto keys = net->state_dict().keys();
  std::string expr = "tuple(m.state_dict()[k] for k in " + nntest::py_str_list(keys) + ")";
  auto r = ref.run(expr, {}, {}, {}, std::string(kTorchNested) + "m.features[1].running_mean.uniform_()\n");
  ASSERT_TRUE(r.ok) << r.message;
  OrderedDict<std::string, Tensor> sd;
  for (size_t i = 0; i < keys.size(); ++i) sd.insert(keys[i], r.outputs[i]);
  net->load_state_dict(sd);
  net->eval();
  Tensor x = randn({2, 1, 2, 2});
  std::vector<Tensor> inputs{x};
  for (const auto& k : keys) inputs.push_back(sd[k]);
  auto y = ref.run("m.eval()(a0)", inputs, {}, {},
              std::string(kTorchNested) + "m.load_state_dict(dict(zip(" + nntest::py_str_list(keys) + ", [" +
                  [&] {
                    std::string s;
                    for (size_t i = 0; i < keys.size(); ++i) s += (i ? ", a" : "a") + std::to_string(i + 1);
                    return s;
                  }() +
                  "])))\n");
  ASSERT_TRUE(y.ok) << y.message;
  EXPECT_TRUE(sinter::testing::tensors_close(net(x).detach(), y.outputs[0], 1e-4, 1e-5));
}

TEST(NNModule, TrainEvalAndZeroGrad) {
  Nested net;
  EXPECT_TRUE(net->is_training());
  net->eval();
  for (const auto& m : net->modules()) EXPECT_FALSE(m->is_training()) << m->name();
  net->train();
  for (const auto& m : net->modules()) EXPECT_TRUE(m->is_training()) << m->name();
  net->features->ptr(1)->eval();
  EXPECT_FALSE(net->features->ptr(1)->is_training());
  EXPECT_TRUE(net->is_training());

  Tensor y = net(randn({3, 1, 2, 2}));
  y.sum().backward();
  for (const auto& p : net->named_parameters())
    if (p.key() != "heads.1.weight" && p.key() != "heads.1.bias") {
      EXPECT_TRUE(p.value().grad().defined()) << p.key();
    }
  net->zero_grad(/*set_to_none=*/false);
  for (const auto& p : net->parameters())
    if (p.grad().defined()) {
      EXPECT_EQ(p.grad().abs().sum().item<float>(), 0.0f);
    }
  net->zero_grad();
  for (const auto& p : net->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(NNModule, ToDtypeKeepsIdentity) {
  Nested net;
  Tensor w = net->heads->at<nn::LinearImpl>(0).weight;
  Tensor before = w.clone();
  net->to(kDouble);
  EXPECT_EQ(w.dtype(), kDouble);  // the handle sees the conversion
  EXPECT_TRUE(w.is_same(net->heads->at<nn::LinearImpl>(0).weight));
  EXPECT_TRUE(allclose(w.to(kFloat), before));
  EXPECT_TRUE(w.requires_grad());
  EXPECT_EQ(net->state_dict()["features.1.num_batches_tracked"].dtype(), kLong);  // integer buffers unchanged
  EXPECT_EQ(net->state_dict()["features.1.running_mean"].dtype(), kDouble);
  net->eval();
  Tensor y = net(randn({2, 1, 2, 2}, kDouble));
  EXPECT_EQ(y.dtype(), kDouble);
  y.sum().backward();
  EXPECT_EQ(w.grad().dtype(), kDouble);
}

TEST(NNModule, ApplyAndInit) {
  Nested net;
  std::vector<std::string> visited;
  net->apply([&](nn::Module& m) { visited.push_back(m.name()); });
  EXPECT_EQ(visited.front(), "Nested");
  EXPECT_EQ(visited.size(), net->modules().size());
  std::vector<std::string> names;
  net->apply([&](const std::string& name, nn::Module&) { names.push_back(name); });
  EXPECT_EQ(names, net->named_modules().keys());
  // The usual LibTorch idiom: re-initialise every Linear.
  net->apply([](nn::Module& m) {
    if (auto* lin = dynamic_cast<nn::LinearImpl*>(&m)) {
      nn::init::constant_(lin->weight, 0.25);
      nn::init::zeros_(lin->bias);
    }
  });
  EXPECT_TRUE(equal(net->heads->at<nn::LinearImpl>(1).weight, full({2, 8}, 0.25f)));
  EXPECT_TRUE(equal(net->features->at<nn::SequentialImpl>(3).at<nn::LinearImpl>(1).bias, zeros({8})));
}

TEST(NNModule, ForwardHooks) {
  nn::Linear lin(3, 2);
  std::vector<std::string> events;
  auto pre = lin->register_forward_pre_hook([&](nn::Module& m, const std::vector<Tensor>& in) {
    events.push_back("pre " + m.name() + " " + std::to_string(in.size()));
  });
  auto post = lin->register_forward_hook([&](nn::Module&, const std::vector<Tensor>& in, const Tensor& out) {
    events.push_back("post " + std::to_string(in[0].size(0)) + " " + std::to_string(out.size(1)));
  });
  Tensor x = randn({4, 3});
  Tensor y = lin(x);
  EXPECT_EQ(events, (std::vector<std::string>{"pre Linear 1", "post 4 2"}));
  // Replacing inputs and outputs.
  auto scale_in = lin->register_forward_pre_hook(
      [](nn::Module&, const std::vector<Tensor>& in) { return std::vector<Tensor>{in[0] * 2}; });
  auto add_out =
      lin->register_forward_hook([](nn::Module&, const std::vector<Tensor>&, const Tensor& out) { return out + 1; });
  Tensor expected = linear(x * 2, lin->weight, lin->bias) + 1;
  EXPECT_TRUE(allclose(lin(x), expected));
  // Hooks run inside a Sequential too, and gradients flow through replaced values.
  nn::Sequential seq(lin, nn::Tanh());
  Tensor xs = x.clone().requires_grad_();
  seq->forward(xs).sum().backward();
  Tensor x2 = x.clone().requires_grad_();
  tanh(linear(x2 * 2, lin->weight, lin->bias) + 1).sum().backward();
  EXPECT_TRUE(allclose(xs.grad(), x2.grad()));
  // Removal.
  events.clear();
  pre.remove();
  post.remove();
  scale_in.remove();
  add_out.remove();
  pre.remove();  // idempotent
  EXPECT_FALSE(lin->has_forward_hooks());
  EXPECT_TRUE(allclose(lin(x), linear(x, lin->weight, lin->bias)));
  EXPECT_TRUE(events.empty());
  // A pre-hook returning the wrong number of inputs is an error naming the module.
  auto bad = lin->register_forward_pre_hook(
      [](nn::Module&, const std::vector<Tensor>& in) { return std::vector<Tensor>{in[0], in[0]}; });
  EXPECT_THROW(lin(x), ValueError);
  bad.remove();
}

TEST(NNModule, RegistrationErrors) {
  struct M : nn::Module {
    M() {
      register_parameter("w", ones({2}));
    }
  };
  M m;
  EXPECT_THROW(m.register_parameter("w", ones({1})), ValueError);  // duplicate
  EXPECT_THROW(m.register_buffer("w", ones({1})), ValueError);     // clashes with the parameter
  EXPECT_THROW(m.register_parameter("a.b", ones({1})), ValueError);
  EXPECT_THROW(m.register_parameter("", ones({1})), ValueError);
  EXPECT_THROW(m.register_module("x", std::shared_ptr<nn::LinearImpl>()), ValueError);
  Tensor leaf = ones({2}).requires_grad_();
  EXPECT_THROW(m.register_parameter("computed", leaf * 2), ValueError);
  // An absent parameter (bias=None) is skipped by parameters() and state_dict().
  m.register_parameter("bias", Tensor());
  EXPECT_EQ(m.parameters().size(), 1u);
  EXPECT_EQ(m.state_dict().size(), 1u);
  EXPECT_EQ(m.name(), "M");
  // A parameter requires grad unless asked otherwise.
  EXPECT_TRUE(m.named_parameters()["w"].requires_grad());
  m.register_parameter("frozen", ones({1}), /*requires_grad=*/false);
  EXPECT_FALSE(m.named_parameters()["frozen"].requires_grad());
  // replace_module and unregister_module.
  m.register_module("lin", nn::Linear(2, 2));
  m.replace_module("lin", nn::Linear(2, 5));
  EXPECT_EQ(m.named_parameters()["lin.weight"].size(0), 5);
  EXPECT_THROW(m.replace_module("nope", nn::Linear(2, 5)), IndexError);
  m.unregister_module("lin");
  EXPECT_FALSE(m.named_parameters().contains("lin.weight"));
}

TEST(NNModule, SharedSubmoduleCountedOnce) {
  // PyTorch's parameters() lists a shared module's parameters once; state_dict lists every path.
  struct Tied : nn::Module {
    Tied() {
      nn::Linear shared(4, 4);
      register_module("a", shared);
      register_module("b", shared);
    }
  };
  Tied t;
  EXPECT_EQ(t.named_parameters().keys(), (std::vector<std::string>{"a.weight", "a.bias"}));
  EXPECT_EQ(t.state_dict().keys(), (std::vector<std::string>{"a.weight", "a.bias", "b.weight", "b.bias"}));
}

TEST(NNModule, ShapeErrorsNameTheModule) {
  nn::Linear lin(784, 256);
  try {
    lin(randn({32, 785}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Linear: input (32, 785) does not match in_features 784");
  }
  nn::Conv2d conv(nn::Conv2dOptions(3, 8, 3));
  try {
    conv(randn({2, 4, 8, 8}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Conv2d: input (2, 4, 8, 8) has 4 channels, expected in_channels 3");
  }
  EXPECT_THROW(conv(randn({8, 8})), ShapeError);
  nn::BatchNorm2d bn(3);
  try {
    bn(randn({2, 3, 4}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("BatchNorm2d"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("(2, 3, 4)"), std::string::npos);
  }
  EXPECT_THROW(bn(randn({2, 5, 4, 4})), ShapeError);
  EXPECT_THROW(bn(randn({1, 3, 1, 1})), ValueError);  // one value per channel while training
  EXPECT_THROW(nn::LayerNorm(std::vector<int64_t>{5})(randn({2, 4})), ShapeError);
  EXPECT_THROW(nn::GroupNorm(3, 4), ValueError);
  EXPECT_THROW(nn::Conv2d(nn::Conv2dOptions(3, 4, 3).groups(2)), ValueError);
  EXPECT_THROW(nn::Conv2d(nn::Conv2dOptions(2, 4, 3).padding("same").stride(2)), ValueError);
  EXPECT_THROW(nn::Conv2d(nn::Conv2dOptions(2, 4, 3).padding_mode("mirror")), ValueError);
  EXPECT_THROW(nn::Conv2dOptions(2, 4, 3).padding("full"), ValueError);
  EXPECT_THROW(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(2, 4, 3).padding_mode("reflect")), ValueError);
  EXPECT_THROW(nn::Embedding(5, 2)(randn({3})), DTypeError);
  EXPECT_THROW(nn::Embedding(nn::EmbeddingOptions(5, 2).padding_idx(5)), ValueError);
  EXPECT_THROW(nn::MaxPool2d(2)(randn({4, 4})), ShapeError);
}
