// Records for dft, stft (against torch.fft and torch.stft) and mel_weight_matrix (against the
// ONNX specification's reference formula, in numpy).
#include "op_record.h"
#include "ops/registry.h"

#include <sstream>

using namespace sinter;
using sinter::testing::expect_error;
using sinter::testing::make_noncontiguous;
using sinter::testing::make_tensor;
using sinter::testing::OpRecord;
using sinter::testing::OpSample;

namespace {

// a0 (..., 1 or 2) as a torch complex tensor.
constexpr const char* kComplex =
    "def cplx(t):\n"
    "    return torch.complex(t[..., 0], t[..., 1]) if t.shape[-1] == 2 else t[..., 0]\n";

std::string py_opt(std::optional<int64_t> n) { return n ? std::to_string(*n) : "None"; }

}  // namespace

TEST(SignalOps, Dft) {
  struct Cfg {
    DimVector shape;  // input, last dim 1 or 2
    int64_t dim;      // sinter dim (negative counts the complex dim)
    std::optional<int64_t> n;
    bool inverse, onesided, noncontiguous;
  };
  const std::vector<Cfg> cfgs = {
      {{2, 8, 3, 2}, 1, {}, false, false, false},   // power of two, complex
      {{3, 13, 2}, 1, {}, false, false, true},      // prime length (Bluestein), non-contiguous
      {{2, 7, 1}, -2, 12, true, false, false},      // real input, zero-padded, inverse
      {{4, 6, 1}, 1, 4, false, false, false},       // truncated
      {{3, 10, 1}, 1, {}, false, true, false},      // onesided (rfft)
      {{5, 9, 2, 1}, 1, {}, false, true, false},    // onesided, odd length, inner dim
      {{2, 6, 2}, 0, {}, true, false, false},       // inverse along the batch dim
      {{1, 2}, 0, {}, false, false, false},         // one point
  };
  for (const Cfg& cfg : cfgs) {
    OpRecord r;
    r.ops = {"dft"};
    r.stmt = kComplex;
    int64_t td = cfg.dim < 0 ? cfg.dim + 1 : cfg.dim;  // the complex tensor has no (re, im) dim
    std::ostringstream os;
    if (cfg.onesided)
      os << "torch.view_as_real(torch.fft.rfft(cplx(a0), n=" << py_opt(cfg.n) << ", dim=" << td << "))";
    else
      os << "torch.view_as_real(torch.fft." << (cfg.inverse ? "ifft" : "fft") << "(cplx(a0).to(torch.complex128 if a0.dtype == "
         << "torch.float64 else torch.complex64), n=" << py_opt(cfg.n) << ", dim=" << td << "))";
    r.torch = os.str();
    r.fn = [cfg](const TensorList& t) { return TensorList{dft(t[0], cfg.dim, cfg.n, cfg.inverse, cfg.onesided)}; };
    r.samples = [cfg](DType d) {
      Tensor x = cfg.noncontiguous ? make_noncontiguous(cfg.shape, d) : make_tensor(cfg.shape, d);
      return std::vector<OpSample>{{{x}, "shape " + shape_str(cfg.shape)}};
    };
    r.errors = {
        expect_error<ValueError>("complex dim", [] { dft(ones({2, 4, 2}), -1); }, "dft: dim -1 of input (2, 4, 2) is its (real, imaginary) dim"),
        expect_error<ShapeError>("layout", [] { dft(ones({2, 4, 3}), 1); }, "dft: expected a signal"),
        expect_error<ValueError>("no points", [] { dft(ones({2, 4, 1}), 1, 0); }, "dft: the transform needs at least one point"),
        expect_error<DTypeError>("integer", [] { dft(ones({2, 4, 1}, kLong), 1); }, "dft: expected a float or double signal"),
        expect_error<IndexError>("dim range", [] { dft(ones({2, 4, 1}), 3); }, "dft"),
    };
    sinter::testing::check_record(r);
  }
}

// Long transforms: the plan (radix-2 or Bluestein) against the definition, in double.
TEST(SignalOps, DftLongLengths) {
  for (int64_t n : {1024, 1000, 997}) {
    Tensor x = make_tensor({1, n, 2}, kDouble);
    Tensor fast = dft(x, 1);
    ops::ReferenceKernels::set_enabled(true);
    Tensor slow = dft(x, 1);
    ops::ReferenceKernels::set_enabled(false);
    EXPECT_TRUE(sinter::testing::tensors_close(fast, slow, 1e-10, 1e-9)) << "n = " << n;
    // the inverse undoes the forward transform
    EXPECT_TRUE(sinter::testing::tensors_close(dft(fast, 1, std::nullopt, true), x, 1e-12, 1e-12)) << "n = " << n;
  }
}

TEST(SignalOps, Stft) {
  struct Cfg {
    int64_t length, step, frame_len;
    bool window, onesided;
  };
  for (Cfg cfg : {Cfg{64, 8, 16, true, true}, Cfg{50, 7, 12, false, true}, Cfg{40, 5, 9, true, false}, Cfg{16, 4, 16, true, true}}) {
    OpRecord r;
    r.ops = {"stft"};
    std::ostringstream os;
    os << "torch.view_as_real(torch.stft(a0[..., 0], n_fft=" << cfg.frame_len << ", hop_length=" << cfg.step
       << ", window=" << (cfg.window ? "a1" : "None") << ", center=False, onesided=" << (cfg.onesided ? "True" : "False")
       << ", return_complex=True)).transpose(1, 2)";
    r.torch = os.str();
    r.fn = [cfg](const TensorList& t) {
      return TensorList{stft(t[0], cfg.step, cfg.window ? t[1] : Tensor(), cfg.window ? std::nullopt : std::optional<int64_t>(cfg.frame_len),
                             cfg.onesided)};
    };
    r.samples = [cfg](DType d) {
      return std::vector<OpSample>{{{make_tensor({2, cfg.length, 1}, d), make_tensor({cfg.frame_len}, d, 0, 1)}, "batch of 2"}};
    };
    r.grad_inputs = cfg.window ? std::vector<size_t>{0, 1} : std::vector<size_t>{0};
    r.errors = {
        expect_error<ValueError>("no frame length", [] { stft(ones({1, 16, 1}), 4); }, "stft: needs a window or a frame_length"),
        expect_error<ValueError>("frame too long", [] { stft(ones({1, 16, 1}), 4, {}, 17); }, "stft: frame length 17 must be in [1, 16]"),
        expect_error<ValueError>("step", [] { stft(ones({1, 16, 1}), 0, {}, 8); }, "stft: frame_step must be positive"),
        expect_error<ValueError>("window length", [] { stft(ones({1, 16, 1}), 2, ones({8}), 6); }, "stft: frame_length 6 differs"),
        expect_error<ValueError>("onesided complex", [] { stft(ones({1, 16, 2}), 2, {}, 8, true); }, "stft: a onesided transform needs a real signal"),
        expect_error<ShapeError>("rank", [] { stft(ones({16, 1}), 2, {}, 8); }, "stft: expected a signal"),
        expect_error<DTypeError>("window dtype", [] { stft(ones({1, 16, 1}), 2, ones({8}, kDouble)); }, "stft: the window"),
    };
    sinter::testing::check_record(r);
  }
}

// The complex-signal case, which torch.stft takes without onesided: against dft of the frames.
TEST(SignalOps, StftComplexMatchesFramedDft) {
  Tensor x = make_tensor({1, 20, 2}, kDouble), w = make_tensor({6}, kDouble, 0, 1);
  Tensor y = stft(x, 3, w, std::nullopt, false);  // (1, 5, 6, 2)
  for (int64_t f = 0; f < 5; ++f) {
    Tensor frame = narrow(x, 1, 3 * f, 6) * w.view({1, 6, 1});
    EXPECT_TRUE(sinter::testing::tensors_close(select(y, 1, f), dft(frame, 1), 1e-12, 1e-12)) << "frame " << f;
  }
}

namespace {
// The ONNX specification's reference (onnx/backend/test/case/node/melweightmatrix.py).
constexpr const char* kMelRef = R"PY(
import numpy as np
def mel_ref(num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz, dtype):
    num_spectrogram_bins = dft_length // 2 + 1
    frequency_bins = np.arange(0, num_mel_bins + 2)
    low_frequency_mel = 2595 * np.log10(1 + lower_edge_hertz / 700)
    high_frequency_mel = 2595 * np.log10(1 + upper_edge_hertz / 700)
    mel_step = (high_frequency_mel - low_frequency_mel) / frequency_bins.shape[0]
    frequency_bins = frequency_bins * mel_step + low_frequency_mel
    frequency_bins = 700 * (np.power(10, (frequency_bins / 2595)) - 1)
    frequency_bins = ((dft_length + 1) * frequency_bins) // sample_rate
    frequency_bins = frequency_bins.astype(int)
    output = np.zeros((num_spectrogram_bins, num_mel_bins))
    for i in range(num_mel_bins):
        lower = frequency_bins[i]
        center = frequency_bins[i + 1]
        higher = frequency_bins[i + 2]
        low_to_center = center - lower
        if low_to_center == 0:
            output[center, i] = 1
        else:
            for j in range(lower, center + 1):
                output[j, i] = float(j - lower) / float(low_to_center)
        center_to_high = higher - center
        if center_to_high > 0:
            for j in range(center, higher):
                output[j, i] = float(higher - j) / float(center_to_high)
    return torch.from_numpy(output).to(dtype)
)PY";
}  // namespace

TEST(SignalOps, MelWeightMatrix) {
  struct Cfg {
    int64_t bins, dft_length, rate;
    double lo, hi;
  };
  for (Cfg cfg : {Cfg{8, 16, 8192, 0, 4096}, Cfg{20, 512, 16000, 30, 7600}, Cfg{5, 64, 22050, 100, 3000}, Cfg{3, 8, 1000, 0, 100}}) {
    for (DType dt : {kFloat, kDouble}) {
      OpRecord r;
      r.ops = {"mel_weight_matrix"};
      r.stmt = kMelRef;
      std::ostringstream os;
      os.precision(17);
      os << "mel_ref(" << cfg.bins << ", " << cfg.dft_length << ", " << cfg.rate << ", " << cfg.lo << ", " << cfg.hi << ", "
         << (dt == kFloat ? "torch.float32" : "torch.float64") << ")";
      r.torch = os.str();
      r.fn = [cfg, dt](const TensorList&) { return TensorList{mel_weight_matrix(cfg.bins, cfg.dft_length, cfg.rate, cfg.lo, cfg.hi, dt)}; };
      r.samples = [](DType) { return std::vector<OpSample>{{{}, "no inputs"}}; };
      r.dtypes = {dt};
      r.grad_inputs = {};
      r.gradcheck = false;
      r.errors = {
          expect_error<ValueError>("edges", [] { mel_weight_matrix(8, 16, 8192, 100, 50); }, "mel_weight_matrix: expected 0 <= lower_edge_hertz"),
          expect_error<ValueError>("bins", [] { mel_weight_matrix(0, 16, 8192, 0, 4000); }, "mel_weight_matrix: num_mel_bins (0)"),
          expect_error<ValueError>("beyond the spectrum", [] { mel_weight_matrix(8, 16, 8192, 0, 20000); },
                                   "mel_weight_matrix: upper_edge_hertz 20000 maps to spectrum bin"),
          expect_error<DTypeError>("dtype", [] { mel_weight_matrix(8, 16, 8192, 0, 4000, kLong); }, "mel_weight_matrix: expected a float"),
      };
      sinter::testing::check_record(r);
    }
  }
}
