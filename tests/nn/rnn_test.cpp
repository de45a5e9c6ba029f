// RNN, LSTM, GRU and their cells against PyTorch 1.13: parameter names, outputs, final states
// and the gradients of inputs, initial states and every parameter.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <sstream>
#include <string>

#include "module_ref.h"
#include "sinter/nn.h"
#include "sinter/sinter.h"

using namespace sinter;
using sinter::testing::compare_with_torch;
using sinter::testing::make_leaves;
using sinter::testing::ModuleCase;
using sinter::testing::randn_like_all;

namespace {
std::string py_bool(bool b) { return b ? "True" : "False"; }

void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(NNRecurrent, ParameterNamesAndInit) {
  manual_seed(0);
  nn::LSTM lstm(nn::LSTMOptions(5, 16).num_layers(2).bidirectional(true));
  const std::vector<std::string> expect = {
      "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
  EXPECT_EQ(lstm->named_parameters().keys(), expect);
  auto p = lstm->named_parameters();
  EXPECT_EQ(p["weight_ih_l0"].sizes(), IntArrayRef({64, 5}));
  EXPECT_EQ(p["weight_ih_l1"].sizes(), IntArrayRef({64, 32}));
  EXPECT_EQ(p["weight_hh_l1_reverse"].sizes(), IntArrayRef({64, 16}));
  EXPECT_EQ(lstm->all_weights().size(), 16u);
  // U(-1/sqrt(H), 1/sqrt(H)) for every parameter, biases included.
  for (const auto& t : lstm->parameters()) {
    EXPECT_LE(t.abs().max().item<double>(), 0.25);
    EXPECT_GT(t.abs().max().item<double>(), 0.2);
  }
  nn::GRU gru(nn::GRUOptions(3, 4).bias(false));
  EXPECT_EQ(gru->named_parameters().keys(), (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0"}));
  EXPECT_EQ(gru->named_parameters()["weight_hh_l0"].sizes(), IntArrayRef({12, 4}));
  nn::RNN rnn(nn::RNNOptions(3, 4).nonlinearity(nn::tags::kReLU{}));
  EXPECT_EQ(rnn->named_parameters()["weight_ih_l0"].sizes(), IntArrayRef({4, 3}));
  std::ostringstream os;
  os << *lstm << " " << *rnn;
  EXPECT_EQ(os.str(), "LSTM(5, 16, num_layers=2, bidirectional=True) RNN(3, 4, nonlinearity='relu')");
}

TEST(NNRecurrent, LSTMBidirectionalMultiLayerWithStatesMatchesTorch) {
  for (bool batch_first : {false, true}) {
    SCOPED_TRACE("batch_first=" + py_bool(batch_first));
    manual_seed(1);
    const int64_t T = 6, N = 3, I = 5, H = 4, L = 2;
    nn::LSTM lstm(nn::LSTMOptions(I, H).num_layers(L).bidirectional(true).batch_first(batch_first));
    Tensor x = batch_first ? randn({N, T, I}) : randn({T, N, I});
    Tensor h0 = randn({2 * L, N, H}), c0 = randn({2 * L, N, H});
    auto leaves = make_leaves({x, h0, c0}, {true, true, true});
    auto [out, state] = lstm(leaves[0], std::make_tuple(leaves[1], leaves[2]));
    auto [hn, cn] = state;
    EXPECT_EQ(out.sizes(), batch_first ? IntArrayRef({N, T, 2 * H}) : IntArrayRef({T, N, 2 * H}));
    EXPECT_EQ(hn.sizes(), IntArrayRef({2 * L, N, H}));
    // The last forward step and the first reverse step are the final states of layer L-1.
    Tensor last = batch_first ? out.select(1, T - 1) : out.select(0, T - 1);
    Tensor first = batch_first ? out.select(1, 0) : out.select(0, 0);
    EXPECT_TRUE(last.slice(1, 0, H).equal(hn[2]));
    EXPECT_TRUE(first.slice(1, H).equal(hn[3]));
    ModuleCase c{"nn.LSTM(5, 4, num_layers=2, bidirectional=True, batch_first=" + py_bool(batch_first) + ")",
                 "m(x0, (x1, x2))"};
    compare_with_torch(*lstm, c, leaves, {true, true, true}, {out, hn, cn}, randn_like_all({out, hn, cn}), 2e-5,
                       2e-5);
  }
}

TEST(NNRecurrent, GRUBidirectionalMultiLayerFloat64) {
  manual_seed(2);
  const int64_t T = 5, N = 2, I = 3, H = 4;
  nn::GRU gru(nn::GRUOptions(I, H).num_layers(3).bidirectional(true));
  gru->to(kDouble);
  Tensor x = randn({T, N, I}, kDouble), h0 = randn({6, N, H}, kDouble);
  auto leaves = make_leaves({x, h0}, {true, true});
  auto [out, hn] = gru(leaves[0], leaves[1]);
  EXPECT_EQ(out.sizes(), IntArrayRef({T, N, 2 * H}));
  ModuleCase c{"nn.GRU(3, 4, num_layers=3, bidirectional=True)", "m(x0, x1)"};
  compare_with_torch(*gru, c, leaves, {true, true}, {out, hn}, randn_like_all({out, hn}), 1e-10, 1e-10);
}

TEST(NNRecurrent, GRUWithoutBiasOrStateBatchFirst) {
  manual_seed(3);
  nn::GRU gru(nn::GRUOptions(4, 5).bias(false).batch_first(true));
  Tensor x = randn({2, 7, 4});
  auto leaves = make_leaves({x}, {true});
  auto [out, hn] = gru(leaves[0]);
  ModuleCase c{"nn.GRU(4, 5, bias=False, batch_first=True)", "m(x0)"};
  compare_with_torch(*gru, c, leaves, {true}, {out, hn}, randn_like_all({out, hn}), 2e-5, 2e-5);
}

TEST(NNRecurrent, ElmanRNNTanhAndRelu) {
  for (const char* nl : {"tanh", "relu"}) {
    SCOPED_TRACE(nl);
    manual_seed(4);
    nn::RNN rnn(nn::RNNOptions(3, 4).num_layers(2).nonlinearity(nl).bidirectional(true));
    Tensor x = randn({5, 2, 3}), h0 = randn({4, 2, 4});
    auto leaves = make_leaves({x, h0}, {true, true});
    auto [out, hn] = rnn(leaves[0], leaves[1]);
    ModuleCase c{"nn.RNN(3, 4, num_layers=2, nonlinearity='" + std::string(nl) + "', bidirectional=True)",
                 "m(x0, x1)"};
    compare_with_torch(*rnn, c, leaves, {true, true}, {out, hn}, randn_like_all({out, hn}), 2e-5, 2e-5);
  }
}

TEST(NNRecurrent, UnbatchedLSTM) {
  manual_seed(5);
  nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2));
  Tensor x = randn({6, 3}), h0 = randn({2, 4}), c0 = randn({2, 4});
  auto leaves = make_leaves({x, h0, c0}, {true, true, true});
  auto [out, state] = lstm(leaves[0], std::make_tuple(leaves[1], leaves[2]));
  auto [hn, cn] = state;
  EXPECT_EQ(out.sizes(), IntArrayRef({6, 4}));
  EXPECT_EQ(hn.sizes(), IntArrayRef({2, 4}));
  ModuleCase c{"nn.LSTM(3, 4, num_layers=2)", "m(x0, (x1, x2))"};
  compare_with_torch(*lstm, c, leaves, {true, true, true}, {out, hn, cn}, randn_like_all({out, hn, cn}), 2e-5, 2e-5);
}

TEST(NNRecurrent, DropoutBetweenLayersOnlyWhileTraining) {
  manual_seed(6);
  nn::LSTM lstm(nn::LSTMOptions(3, 8).num_layers(2).dropout(0.5));
  Tensor x = randn({5, 2, 3});
  lstm->train();
  EXPECT_FALSE(std::get<0>(lstm(x)).allclose(std::get<0>(lstm(x))));
  lstm->eval();
  EXPECT_TRUE(std::get<0>(lstm(x)).equal(std::get<0>(lstm(x))));
  auto leaves = make_leaves({x}, {true});
  auto [out, state] = lstm(leaves[0]);
  auto [hn, cn] = state;
  ModuleCase c{"nn.LSTM(3, 8, num_layers=2, dropout=0.5)", "m(x0)"};
  compare_with_torch(*lstm, c, leaves, {true}, {out, hn, cn}, randn_like_all({out, hn, cn}), 2e-5, 2e-5);
}

TEST(NNRecurrent, CellsMatchTorch) {
  manual_seed(7);
  const int64_t N = 3, I = 4, H = 5;
  Tensor x = randn({N, I}), h0 = randn({N, H}), c0 = randn({N, H});
  {
    nn::LSTMCell cell(I, H);
    EXPECT_EQ(cell->named_parameters().keys(),
              (std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}));
    auto leaves = make_leaves({x, h0, c0}, {true, true, true});
    auto [h, c] = cell(leaves[0], std::make_tuple(leaves[1], leaves[2]));
    compare_with_torch(*cell, {"nn.LSTMCell(4, 5)", "m(x0, (x1, x2))"}, leaves, {true, true, true}, {h, c},
                       randn_like_all({h, c}), 2e-5, 2e-5);
  }
  {
    nn::GRUCell cell(nn::GRUCellOptions(I, H));
    auto leaves = make_leaves({x, h0}, {true, true});
    Tensor h = cell(leaves[0], leaves[1]);
    compare_with_torch(*cell, {"nn.GRUCell(4, 5)", "m(x0, x1)"}, leaves, {true, true}, {h}, randn_like_all({h}),
                       2e-5, 2e-5);
  }
  {
    nn::RNNCell cell(nn::RNNCellOptions(I, H).nonlinearity("relu").bias(false));
    auto leaves = make_leaves({x.select(0, 0)}, {true});  // unbatched, zero state
    Tensor h = cell(leaves[0]);
    EXPECT_EQ(h.sizes(), IntArrayRef({H}));
    compare_with_torch(*cell, {"nn.RNNCell(4, 5, bias=False, nonlinearity='relu')", "m(x0)"}, leaves, {true}, {h},
                       randn_like_all({h}), 2e-5, 2e-5);
  }
}

TEST(NNRecurrent, Errors) {
  nn::LSTM lstm(nn::LSTMOptions(8, 4).num_layers(2));
  EXPECT_THROW(lstm(randn({5, 3, 7})), ShapeError);
  expect_error([&] { lstm(randn({5, 3, 7})); }, {"LSTM", "(5, 3, 7)", "input_size 8"});
  EXPECT_THROW(lstm(randn({5, 3, 8}), std::make_tuple(randn({1, 3, 4}), randn({1, 3, 4}))), ShapeError);
  expect_error([&] { lstm(randn({5, 3, 8}), std::make_tuple(randn({1, 3, 4}), randn({1, 3, 4}))); },
               {"LSTM", "h_0", "(2, 3, 4)", "(1, 3, 4)"});
  EXPECT_THROW(lstm(randn({5, 3, 8}, kDouble)), DTypeError);
  EXPECT_THROW(lstm(randn({2, 5, 3, 8})), ShapeError);
  nn::GRU gru(nn::GRUOptions(8, 4));
  expect_error([&] { gru(randn({5, 3, 6})); }, {"GRU", "(5, 3, 6)"});
  EXPECT_THROW(gru(randn({5, 3, 8}), randn({1, 2, 4})), ShapeError);
  EXPECT_THROW(nn::LSTM(nn::LSTMOptions(8, 4).proj_size(2)), NotImplementedError);
  EXPECT_THROW(nn::GRU(nn::GRUOptions(8, 4).dropout(1.5)), ValueError);
  EXPECT_THROW(nn::RNN(nn::RNNOptions(8, 4).nonlinearity("sigmoid")), ValueError);
  EXPECT_THROW(nn::GRU(nn::GRUOptions(0, 4)), ValueError);
  nn::GRUCell cell(3, 4);
  expect_error([&] { cell(randn({2, 5})); }, {"GRUCell", "(2, 5)", "input_size 3"});
  EXPECT_THROW(cell(randn({2, 3}), randn({3, 4})), ShapeError);
}
