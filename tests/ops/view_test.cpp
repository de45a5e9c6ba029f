// Test records for the view ops (outputs alias the input; one shared backward).
#include "op_record.h"

using namespace sinter;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;
using sinter::testing::check_record;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;

namespace {

std::vector<DType> all() { return sinter::testing::all_dtypes(); }

OpRecord view_record(std::vector<std::string> ops, std::string torch, std::function<TensorList(const TensorList&)> fn,
                     std::function<std::vector<OpSample>(DType)> samples) {
  OpRecord r;
  r.ops = std::move(ops);
  r.torch = std::move(torch);
  r.fn = std::move(fn);
  r.samples = std::move(samples);
  r.dtypes = all();
  return r;
}

/// A contiguous 3-D sample, a non-contiguous one and an empty one, all of 24 (or 0) elements.
std::vector<OpSample> three_d(DType d) {
  return {{{make_tensor({2, 3, 4}, d)}, "contiguous"},
          {{make_noncontiguous({2, 3, 4}, d)}, "non-contiguous"},
          {{make_tensor({4, 3, 2}, d).permute({2, 1, 0})}, "permuted"}};
}

}  // namespace

TEST(ViewOps, View) {
  auto r = view_record({"view"}, "a0.view(4, -1)", [](const TensorList& x) { return TensorList{x[0].view({4, -1})}; },
                       [](DType d) {
                         return std::vector<OpSample>{{{make_tensor({2, 3, 4}, d)}, "3-D"},
                                                      {{make_tensor({24}, d)}, "1-D"},
                                                      {{make_tensor({2, 12}, d).slice(0, 1, 2)}, "offset view"}};
                       });
  r.gradgradcheck = true;
  r.errors = {expect_error<ShapeError>("bad size", [] { ones({2, 3}).view({4, 2}); }, "view"),
              expect_error<ShapeError>("two -1", [] { ones({2, 3}).view({-1, -1}); }, "view"),
              expect_error<ShapeError>("not viewable", [] { ones({2, 3}).t().view({6}); }, "view")};
  check_record(r);
  // Views share storage.
  Tensor x = zeros({2, 3});
  x.view({6}).index_put_({0}, 5.0);
  EXPECT_EQ(x.index({0, 0}).item<double>(), 5.0);
}

TEST(ViewOps, ViewEmptyAndScalar) {
  auto r = view_record({"view"}, "(a0.view(0, 5), a1.view(1, 1), a1.view(-1))",
                       [](const TensorList& x) { return TensorList{x[0].view({0, 5}), x[1].view({1, 1}), x[1].view({-1})}; },
                       [](DType d) {
                         return std::vector<OpSample>{{{make_tensor({5, 0}, d), make_tensor({}, d)}, "empty and 0-dim"}};
                       });
  check_record(r);
}

TEST(ViewOps, Reshape) {
  auto r = view_record({"view", "clone"}, "a0.reshape(6, 4)", [](const TensorList& x) { return TensorList{x[0].reshape({6, 4})}; },
                       three_d);
  r.gradgradcheck = true;
  r.errors = {expect_error<ShapeError>("bad size", [] { ones({2, 3}).reshape({4, 2}); }, "reshape"),
              expect_error<ShapeError>("negative", [] { ones({2, 3}).reshape({-2, 3}); }, "reshape"),
              expect_error<ShapeError>("ambiguous -1", [] { zeros({2, 0, 3}).reshape({0, -1}); }, "reshape")};
  check_record(r);
}

TEST(ViewOps, Permute) {
  auto r = view_record({"permute"}, "a0.permute(2, 0, 1)", [](const TensorList& x) { return TensorList{x[0].permute({2, 0, -2})}; },
                       three_d);
  r.gradgradcheck = true;
  r.errors = {expect_error<ShapeError>("too few dims", [] { ones({2, 3}).permute({0}); }, "permute"),
              expect_error<ValueError>("repeated", [] { ones({2, 3}).permute({0, 0}); }, "permute"),
              expect_error<IndexError>("out of range", [] { ones({2, 3}).permute({0, 2}); }, "permute")};
  check_record(r);
}

TEST(ViewOps, TransposeAndT) {
  auto r = view_record({"transpose"}, "(a0.transpose(0, 2), a0.transpose(-1, 1), a1.t(), a2.t())",
                       [](const TensorList& x) {
                         return TensorList{x[0].transpose(0, 2), x[0].transpose(-1, 1), x[1].t(), x[2].t()};
                       },
                       [](DType d) {
                         return std::vector<OpSample>{
                             {{make_tensor({2, 3, 4}, d), make_tensor({3, 5}, d), make_tensor({4}, d)}, "contiguous"},
                             {{make_noncontiguous({2, 3, 4}, d), make_noncontiguous({3, 5}, d), make_tensor({}, d)},
                              "non-contiguous, 0-dim"}};
                       });
  r.errors = {expect_error<IndexError>("dim", [] { ones({2, 3}).transpose(0, 2); }, "transpose"),
              expect_error<ShapeError>("t of 3-D", [] { ones({2, 3, 4}).t(); }, "t")};
  check_record(r);
}

TEST(ViewOps, Slice) {
  auto r = view_record({"slice"}, "(a0[:, 1:], a0[..., ::2], a0[:, -2:10], a0[5:], a0[:, ::3])",
                       [](const TensorList& x) {
                         return TensorList{x[0].slice(1, 1), x[0].slice(-1, std::nullopt, std::nullopt, 2),
                                           x[0].slice(1, -2, 10), x[0].slice(0, 5), x[0].slice(1, std::nullopt, std::nullopt, 3)};
                       },
                       three_d);
  r.gradgradcheck = true;
  r.errors = {expect_error<ValueError>("step", [] { ones({4}).slice(0, 0, 4, 0); }, "slice"),
              expect_error<IndexError>("0-dim", [] { ones({}).slice(0, 0, 1); }, "slice"),
              expect_error<IndexError>("dim", [] { ones({4}).slice(1, 0, 1); }, "slice")};
  check_record(r);
}

TEST(ViewOps, Narrow) {
  auto r = view_record({"slice"}, "(a0.narrow(1, 1, 2), a0.narrow(-1, -3, 3), a0.narrow(0, 2, 0))",
                       [](const TensorList& x) {
                         return TensorList{x[0].narrow(1, 1, 2), x[0].narrow(-1, -3, 3), x[0].narrow(0, 2, 0)};
                       },
                       three_d);
  r.errors = {expect_error<IndexError>("start", [] { ones({4}).narrow(0, 5, 0); }, "narrow"),
              expect_error<IndexError>("length", [] { ones({4}).narrow(0, 2, 3); }, "narrow"),
              expect_error<IndexError>("0-dim", [] { ones({}).narrow(0, 0, 1); }, "narrow")};
  check_record(r);
}

TEST(ViewOps, Select) {
  auto r = view_record({"select"}, "(a0.select(1, 2), a0.select(-1, -1), a0[1])",
                       [](const TensorList& x) { return TensorList{x[0].select(1, 2), x[0].select(-1, -1), x[0][1]}; },
                       three_d);
  r.gradgradcheck = true;
  r.errors = {expect_error<IndexError>("index", [] { ones({2, 3}).select(1, 3); }, "select"),
              expect_error<IndexError>("negative index", [] { ones({2, 3}).select(0, -3); }, "select"),
              expect_error<IndexError>("0-dim", [] { ones({}).select(0, 0); }, "select")};
  check_record(r);
}

TEST(ViewOps, Expand) {
  auto r = view_record({"expand"}, "(a0.expand(2, 3, 4), a1.expand(4, -1, 5), a2.expand(3, 2))",
                       [](const TensorList& x) {
                         return TensorList{x[0].expand({2, 3, 4}), x[1].expand({4, -1, 5}), x[2].expand({3, 2})};
                       },
                       [](DType d) {
                         return std::vector<OpSample>{
                             {{make_tensor({3, 1}, d), make_tensor({2, 1}, d), make_tensor({}, d)}, "contiguous"},
                             {{make_noncontiguous({3, 1}, d), make_noncontiguous({2, 1}, d), make_tensor({1}, d)},
                              "non-contiguous"}};
                       });
  r.gradgradcheck = true;
  r.errors = {expect_error<ShapeError>("mismatch", [] { ones({2, 3}).expand({2, 4}); }, "expand"),
              expect_error<ShapeError>("too few sizes", [] { ones({2, 3}).expand({3}); }, "expand"),
              expect_error<ShapeError>("-1 leading", [] { ones({3}).expand({-1, 3}); }, "expand")};
  check_record(r);
}

TEST(ViewOps, SqueezeUnsqueeze) {
  auto r = view_record({"squeeze", "unsqueeze"},
                       "(a0.squeeze(), a0.squeeze(1), a0.squeeze(0), a0.unsqueeze(0), a0.unsqueeze(-1), a0.unsqueeze(2), "
                       "a1.squeeze(), a1.unsqueeze(0), a1.squeeze(0))",
                       [](const TensorList& x) {
                         return TensorList{x[0].squeeze(), x[0].squeeze(1), x[0].squeeze(0), x[0].unsqueeze(0),
                                           x[0].unsqueeze(-1), x[0].unsqueeze(2), x[1].squeeze(), x[1].unsqueeze(0),
                                           x[1].squeeze(0)};
                       },
                       [](DType d) {
                         return std::vector<OpSample>{
                             {{make_tensor({3, 1, 4, 1}, d), make_tensor({}, d)}, "contiguous"},
                             {{make_noncontiguous({3, 1, 4, 1}, d), make_tensor({1}, d)}, "non-contiguous"},
                             {{make_tensor({0, 1, 2, 1}, d), make_tensor({}, d)}, "empty"}};
                       });
  r.errors = {expect_error<IndexError>("squeeze dim", [] { ones({2, 1}).squeeze(2); }, "squeeze"),
              expect_error<IndexError>("unsqueeze dim", [] { ones({2, 1}).unsqueeze(4); }, "unsqueeze")};
  check_record(r);
}

TEST(ViewOps, Diagonal) {
  auto r = view_record({"diagonal"},
                       "(a0.diagonal(), a0.diagonal(1), a0.diagonal(-1, 0, 2), a0.diagonal(2, -1, -2), a0.diagonal(7))",
                       [](const TensorList& x) {
                         return TensorList{x[0].diagonal(), x[0].diagonal(1), x[0].diagonal(-1, 0, 2), x[0].diagonal(2, -1, -2),
                                           x[0].diagonal(7)};
                       },
                       three_d);
  r.gradgradcheck = true;
  r.errors = {expect_error<ShapeError>("1-D", [] { ones({3}).diagonal(); }, "diagonal"),
              expect_error<ValueError>("same dims", [] { ones({3, 3}).diagonal(0, 1, 1); }, "diagonal"),
              expect_error<IndexError>("dim", [] { ones({3, 3}).diagonal(0, 0, 2); }, "diagonal")};
  check_record(r);
}

TEST(ViewOps, AsStrided) {
  auto r = view_record({"as_strided"},
                       "(a0.as_strided((3, 2), (1, 2)), a0.as_strided((4, 3), (2, 1), 1), a0.as_strided((2, 2), (0, 1)), "
                       "a0.as_strided((2,), (3,), 4))",
                       [](const TensorList& x) {
                         return TensorList{x[0].as_strided({3, 2}, {1, 2}), x[0].as_strided({4, 3}, {2, 1}, 1),
                                           x[0].as_strided({2, 2}, {0, 1}), x[0].as_strided({2}, {3}, 4)};
                       },
                       [](DType d) { return std::vector<OpSample>{{{make_tensor({12}, d)}, "1-D"}, {{make_tensor({3, 4}, d)}, "2-D"}}; });
  r.gradgradcheck = true;
  r.errors = {expect_error<IndexError>("out of bounds", [] { ones({4}).as_strided({3}, {2}); }, "as_strided"),
              expect_error<ShapeError>("length mismatch", [] { ones({4}).as_strided({2, 2}, {1}); }, "as_strided")};
  check_record(r);
}

TEST(ViewOps, AsStridedOfAView) {
  // Geometry is in terms of the storage: a view with an offset keeps it unless one is given.
  OpRecord r;
  r.ops = {"as_strided"};
  r.torch = "(a0.t().as_strided((2, 2), (4, 1)), a0.view(-1)[2:].as_strided((2, 2), (1, 3)))";
  r.fn = [](const TensorList& x) {
    return TensorList{x[0].t().as_strided({2, 2}, {4, 1}), x[0].view({-1}).slice(0, 2).as_strided({2, 2}, {1, 3})};
  };
  r.samples = [](DType d) { return std::vector<OpSample>{{{make_tensor({3, 4}, d)}, "offset view"}}; };
  check_record(r);
}

TEST(ViewOps, FlattenUnflatten) {
  auto r = view_record({"view"}, "(a0.flatten(), a0.flatten(1), a0.flatten(0, 1), a0.unflatten(2, (2, 2)), "
                       "a0.unflatten(-1, (-1, 1)), a1.flatten())",
                       [](const TensorList& x) {
                         return TensorList{x[0].flatten(), x[0].flatten(1), x[0].flatten(0, 1), x[0].unflatten(2, {2, 2}),
                                           x[0].unflatten(-1, {-1, 1}), x[1].flatten()};
                       },
                       [](DType d) {
                         auto s = three_d(d);
                         for (auto& x : s) x.inputs.push_back(make_tensor({}, d));
                         return s;
                       });
  r.errors = {expect_error<ValueError>("start after end", [] { ones({2, 3}).flatten(1, 0); }, "flatten"),
              expect_error<ShapeError>("unflatten sizes", [] { ones({2, 6}).unflatten(1, {4, 2}); }, "unflatten"),
              expect_error<ValueError>("unflatten empty", [] { ones({2, 6}).unflatten(1, {}); }, "unflatten")};
  check_record(r);
}

TEST(ViewOps, UnbindAndMovedim) {
  auto r = view_record({"select", "permute"}, "(*a0.unbind(1), a0.movedim(0, 2), a0.movedim(-1, 0))",
                       [](const TensorList& x) {
                         TensorList r = x[0].unbind(1);
                         r.push_back(movedim(x[0], 0, 2));
                         r.push_back(movedim(x[0], -1, 0));
                         return r;
                       },
                       three_d);
  r.errors = {expect_error<IndexError>("unbind dim", [] { ones({2, 3}).unbind(2); }, "unbind"),
              expect_error<IndexError>("movedim dim", [] { movedim(ones({2, 3}), 0, 2); }, "movedim")};
  check_record(r);
}

TEST(ViewOps, BroadcastTensors) {
  auto r = view_record({"expand"}, "torch.broadcast_tensors(a0, a1, a2)",
                       [](const TensorList& x) { return broadcast_tensors({x[0], x[1], x[2]}); },
                       [](DType d) {
                         return std::vector<OpSample>{
                             {{make_tensor({3, 1}, d), make_tensor({4}, d), make_tensor({}, d)}, "broadcast"},
                             {{make_noncontiguous({2, 3}, d), make_tensor({2, 1}, d), make_tensor({1, 3}, d)}, "non-contiguous"},
                             {{make_tensor({0, 1}, d), make_tensor({3}, d), make_tensor({1}, d)}, "empty"}};
                       });
  r.grad_inputs = {0, 1, 2};
  r.errors = {expect_error<ShapeError>("mismatch", [] { broadcast_tensors({ones({2}), ones({3})}); }, "broadcast_tensors")};
  check_record(r);
}

TEST(ViewOps, ChainedViewsBackward) {
  // Gradients flow through a chain of views of one base, and a non-view op on top.
  OpRecord r;
  r.ops = {"permute", "slice", "select", "diagonal", "unsqueeze", "expand"};
  r.torch = "a0.permute(1, 0, 2)[1:, 0].diagonal().unsqueeze(0).expand(3, -1) * 2";
  r.fn = [](const TensorList& x) {
    return TensorList{x[0].permute({1, 0, 2}).slice(0, 1).select(1, 0).diagonal().unsqueeze(0).expand({3, -1}) * 2};
  };
  r.samples = [](DType d) { return std::vector<OpSample>{{{make_tensor({3, 4, 5}, d)}, "3-D"}}; };
  r.gradgradcheck = true;
  check_record(r);
}
