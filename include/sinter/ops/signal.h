// Spectral ops in ONNX's layout for complex numbers: a trailing dim of 2 holds (real, imaginary);
// a trailing dim of 1 is a real signal.
#pragma once
#include <optional>

#include "sinter/tensor.h"

namespace sinter {

/// Discrete Fourier transform of x (..., 1 or 2) along `dim` (any dim but the last; negative
/// counts from the end, the last included): zero-padded or truncated to n points; `inverse`
/// takes the sign + and scales by 1/n; `onesided` keeps the n/2 + 1 first frequencies.
/// Returns (..., 2) with dim of size n (n/2 + 1 when onesided). torch.fft.fft/ifft/rfft in
/// ONNX's DFT layout.
Tensor dft(const Tensor& x, int64_t dim = 1, std::optional<int64_t> n = std::nullopt, bool inverse = false,
           bool onesided = false);
/// Short-time Fourier transform of signal (batch, length, 1 or 2): frames of frame_length
/// points every frame_step, each multiplied by `window` (frame_length,) when given, then
/// transformed. frame_length defaults to the window's length. Returns (batch, frames, bins, 2)
/// with bins = frame_length / 2 + 1 when onesided. ONNX STFT; torch.stft with center=False.
Tensor stft(const Tensor& signal, int64_t frame_step, const Tensor& window = {},
            std::optional<int64_t> frame_length = std::nullopt, bool onesided = true);
/// The (dft_length / 2 + 1, num_mel_bins) matrix of triangular mel filters that maps a onesided
/// spectrum to mel bins between lower_edge_hertz and upper_edge_hertz (ONNX MelWeightMatrix).
Tensor mel_weight_matrix(int64_t num_mel_bins, int64_t dft_length, int64_t sample_rate, double lower_edge_hertz,
                         double upper_edge_hertz, DType dtype = DType::Float);

}  // namespace sinter
