// Sequential, ModuleList, ModuleDict, Functional, AnyModule.
#include <gtest/gtest.h>

#include <sstream>

#include "nn_ref.h"

using namespace sinter;

namespace {
// A module whose forward takes two tensors and one whose forward returns a pair.
struct AddImpl : nn::Module {
  Tensor forward(const Tensor& a, const Tensor& b) { return a + b; }
};
SINTER_MODULE(Add);
struct SplitImpl : nn::Module {
  std::tuple<Tensor, Tensor> forward(const Tensor& x) { return {x * 2, x * 3}; }
};
SINTER_MODULE(Split);
struct ScaleImpl : nn::Module {
  Tensor forward(const Tensor& x, double s) { return x * s; }
};
SINTER_MODULE(Scale);
}  // namespace

TEST(NNContainers, Sequential) {
  manual_seed(0);
  nn::Linear l1(4, 8);
  nn::Sequential seq(l1, nn::ReLU(), nn::Linear(8, 3));
  EXPECT_EQ(seq->size(), 3u);
  EXPECT_EQ(seq->named_children().keys(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(seq->named_parameters().keys(), (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  EXPECT_EQ(seq[0].get(), l1.get());  // holds the same module
  EXPECT_EQ(seq->ptr<nn::LinearImpl>(0).get(), l1.get());
  EXPECT_EQ(&seq->at<nn::LinearImpl>(2), seq->ptr(2).get());
  EXPECT_THROW(seq->at<nn::ReLUImpl>(0), ValueError);
  EXPECT_THROW(seq[7], IndexError);
  Tensor x = randn({5, 4});
  Tensor expected = seq->at<nn::LinearImpl>(2).forward(relu(l1->forward(x)));
  EXPECT_TRUE(equal(seq->forward(x), expected));
  EXPECT_TRUE(equal(seq(x), expected));
  // push_back, named push_back, extend.
  seq->push_back(nn::Tanh());
  seq->push_back("out", nn::Softmax(1));
  EXPECT_EQ(seq->named_children().keys(), (std::vector<std::string>{"0", "1", "2", "3", "out"}));
  EXPECT_TRUE(allclose(seq->forward(x), softmax(tanh(expected), 1)));
  nn::Sequential more{nn::Identity()};
  more->extend(*seq);
  EXPECT_EQ(more->size(), 6u);
  EXPECT_TRUE(allclose(more->forward(x), seq->forward(x)));
  // Named construction.
  nn::Sequential named({{"fc", nn::Linear(4, 2)}, {"act", nn::Sigmoid()}});
  EXPECT_EQ(named->named_parameters().keys(), (std::vector<std::string>{"fc.weight", "fc.bias"}));
  std::ostringstream os;
  os << named;
  EXPECT_EQ(os.str(), "Sequential(\n  (fc): Linear(in_features=4, out_features=2, bias=True)\n  (act): Sigmoid()\n)");
  // Nested Sequential.
  nn::Sequential outer(nn::Sequential(nn::Linear(4, 4), nn::ReLU()), nn::Linear(4, 1));
  EXPECT_EQ(outer->named_parameters().keys(),
            (std::vector<std::string>{"0.0.weight", "0.0.bias", "1.weight", "1.bias"}));
  EXPECT_EQ(outer->forward(x).sizes(), IntArrayRef({5, 1}));
  // Empty.
  nn::Sequential empty_seq;
  EXPECT_THROW(empty_seq->forward(x), ValueError);
  // Gradients flow to every child.
  outer->forward(x).sum().backward();
  for (const auto& p : outer->parameters()) EXPECT_TRUE(p.grad().defined());
}

TEST(NNContainers, SequentialArbitrarySignatures) {
  nn::Sequential seq{Add(), Split()};
  Tensor a = ones({2}), b = full({2}, 2.0f);
  auto [x2, x3] = seq->forward<std::tuple<Tensor, Tensor>>(a, b);
  EXPECT_TRUE(equal(x2, full({2}, 6.0f)));
  EXPECT_TRUE(equal(x3, full({2}, 9.0f)));
  // A type mismatch between children names the module and both types.
  nn::Sequential bad{Split(), nn::ReLU()};
  try {
    bad->forward(a);
    FAIL();
  } catch (const ValueError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("ReLU"), std::string::npos) << msg;
    EXPECT_NE(msg.find("tuple"), std::string::npos) << msg;
  }
  EXPECT_THROW(seq->forward(a), ValueError);  // Add takes two arguments
  // Non-tensor arguments pass through AnyModule.
  nn::AnyModule any(Scale{});
  EXPECT_TRUE(equal(any.forward(a, 4.0), full({2}, 4.0f)));
  EXPECT_THROW(any.forward(a, 4), ValueError);  // int is not double: a type error, not a silent cast
  EXPECT_EQ(any.get<ScaleImpl>().name(), "Scale");
  // A ModuleList may sit in a Sequential (as in PyTorch) but cannot be called.
  nn::Sequential with_list{nn::ModuleList(nn::ReLU())};
  EXPECT_THROW(with_list->forward(a), NotImplementedError);
}

TEST(NNContainers, Functional) {
  nn::Functional f(relu);
  Tensor x = tensor({-1.0f, 2.0f});
  EXPECT_TRUE(equal(f(x), tensor({0.0f, 2.0f})));
  nn::Functional lr(leaky_relu, 0.5);
  EXPECT_TRUE(equal(lr(x), tensor({-0.5f, 2.0f})));
  nn::Functional lambda([](Tensor t) { return t * 10; });
  nn::Sequential seq(nn::Linear(2, 2), nn::Functional(sinter::sigmoid), lambda);
  Tensor y = seq->forward(x.view({1, 2}));
  EXPECT_LE(y.abs().max().item<float>(), 10.0f);
  EXPECT_GE(y.min().item<float>(), 0.0f);
  std::ostringstream os;
  os << *f;
  EXPECT_EQ(os.str(), "Functional()");
  EXPECT_TRUE(f->parameters().empty());
}

TEST(NNContainers, ModuleList) {
  nn::ModuleList list(nn::Linear(3, 3), nn::ReLU());
  list->push_back(nn::Linear(3, 1));
  EXPECT_EQ(list->size(), 3u);
  EXPECT_EQ(list->named_parameters().keys(),
            (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  Tensor x = randn({2, 3});
  for (const auto& m : *list) {
    if (auto* lin = dynamic_cast<nn::LinearImpl*>(m.get()))
      x = lin->forward(x);
    else
      x = list->at<nn::ReLU>(1).forward(x);
  }
  EXPECT_EQ(x.sizes(), IntArrayRef({2, 1}));
  list->insert(0, nn::Identity());
  EXPECT_EQ(list->named_children().keys(), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(list[0]->name(), "Identity");
  EXPECT_EQ(list[3]->name(), "Linear");
  EXPECT_EQ(list->named_parameters().keys(),
            (std::vector<std::string>{"1.weight", "1.bias", "3.weight", "3.bias"}));
  EXPECT_THROW(list[9], IndexError);
  EXPECT_THROW(list->at<nn::Conv2dImpl>(1), ValueError);
  std::ostringstream os;
  os << list;
  EXPECT_EQ(os.str(),
            "ModuleList(\n  (0): Identity()\n  (1): Linear(in_features=3, out_features=3, bias=True)\n  (2): ReLU()\n"
            "  (3): Linear(in_features=3, out_features=1, bias=True)\n)");
}

TEST(NNContainers, ModuleDict) {
  nn::ModuleDict dict({{"enc", nn::Linear(4, 2).ptr()}, {"act", nn::ReLU().ptr()}});
  EXPECT_EQ(dict->keys(), (std::vector<std::string>{"enc", "act"}));
  EXPECT_TRUE(dict->contains("enc"));
  EXPECT_EQ(dict["enc"]->name(), "Linear");
  EXPECT_EQ(dict->at<nn::LinearImpl>("enc").options.out_features(), 2);
  EXPECT_EQ(dict->named_parameters().keys(), (std::vector<std::string>{"enc.weight", "enc.bias"}));
  dict->insert("dec", nn::Linear(2, 4));
  dict->insert("enc", nn::Linear(4, 3));  // replaces in place, keeps the order
  EXPECT_EQ(dict->keys(), (std::vector<std::string>{"enc", "act", "dec"}));
  EXPECT_EQ(dict->named_parameters()["enc.weight"].size(0), 3);
  auto popped = dict->pop("act");
  EXPECT_EQ(popped->name(), "ReLU");
  EXPECT_EQ(dict->size(), 2u);
  EXPECT_EQ(dict->named_children().keys(), (std::vector<std::string>{"enc", "dec"}));
  EXPECT_THROW(dict["act"], IndexError);
  EXPECT_THROW(dict->pop("act"), IndexError);
  dict->clear();
  EXPECT_TRUE(dict->empty());
  EXPECT_TRUE(dict->parameters().empty());
}
