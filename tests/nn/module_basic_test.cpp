#include <gtest/gtest.h>

#include <sstream>

#include "sinter/nn.h"
#include "sinter/sinter.h"

using namespace sinter;

namespace {
struct TwoLayerImpl : nn::Module {
  TwoLayerImpl() : fc1(register_module("fc1", nn::Linear(4, 3))), fc2(register_module("fc2", nn::Linear(3, 2))) {}
  Tensor forward(const Tensor& x) { return fc2(relu(fc1(x))); }
  nn::Linear fc1, fc2;
};
SINTER_MODULE(TwoLayer);
}  // namespace

TEST(NNModule, HolderAndNames) {
  TwoLayer net;
  auto names = net->named_parameters().keys();
  EXPECT_EQ(names, (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
  Tensor y = net(randn({5, 4}));
  EXPECT_EQ(y.sizes(), IntArrayRef({5, 2}));
  std::ostringstream os;
  os << net;
  EXPECT_EQ(os.str(),
            "TwoLayer(\n  (fc1): Linear(in_features=4, out_features=3, bias=True)\n  (fc2): Linear(in_features=3, "
            "out_features=2, bias=True)\n)");
  nn::Linear empty_holder{nullptr};
  EXPECT_TRUE(empty_holder.is_empty());
  EXPECT_THROW(empty_holder(y), ValueError);  // operator-> and operator() check for an empty holder
}
