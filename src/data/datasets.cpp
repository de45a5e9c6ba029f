#include "sinter/data/datasets.h"

#include <sys/stat.h>

#include "sinter/io/idx.h"
#include "sinter/ops/factory.h"
#include "sinter/ops/index.h"
#include "sinter/ops/shape.h"

namespace sinter::data::datasets {

using sinter::detail::str_cat;

// ---- TensorDataset ----------------------------------------------------------------------------

TensorDataset::TensorDataset(const std::vector<Tensor>& tensors) : TensorDataset(sinter::stack(tensors)) {}
TensorDataset::TensorDataset(Tensor t) : tensor(std::move(t)) {
  SINTER_CHECK(tensor.defined() && tensor.dim() >= 1, ShapeError, "TensorDataset: expected a tensor with a first dimension");
}
TensorExample TensorDataset::get(size_t index) {
  SINTER_CHECK(index < static_cast<size_t>(tensor.size(0)), IndexError, "TensorDataset: index ", index,
               " out of range for size ", tensor.size(0));
  return tensor[static_cast<int64_t>(index)];
}
std::optional<size_t> TensorDataset::size() const { return static_cast<size_t>(tensor.size(0)); }

// ---- LabeledTensorDataset ---------------------------------------------------------------------

LabeledTensorDataset::LabeledTensorDataset(Tensor d, Tensor t) : data(std::move(d)), target(std::move(t)) {
  SINTER_CHECK(data.defined() && target.defined() && data.dim() >= 1 && target.dim() >= 1, ShapeError,
               "LabeledTensorDataset: expected data and target with a first dimension");
  SINTER_CHECK(data.size(0) == target.size(0), ShapeError, "LabeledTensorDataset: data has ", data.size(0),
               " examples but target has ", target.size(0));
}
Example<> LabeledTensorDataset::get(size_t index) {
  SINTER_CHECK(index < static_cast<size_t>(data.size(0)), IndexError, "LabeledTensorDataset: index ", index,
               " out of range for size ", data.size(0));
  const auto i = static_cast<int64_t>(index);
  return {data[i], target[i]};
}
std::optional<size_t> LabeledTensorDataset::size() const { return static_cast<size_t>(data.size(0)); }

// ---- TensorBatchDataset -----------------------------------------------------------------------

TensorBatchDataset::TensorBatchDataset(Tensor data, Tensor target, DataTransform data_transform)
    : data_(std::move(data)), target_(std::move(target)), transform_(std::move(data_transform)) {
  SINTER_CHECK(data_.defined() && target_.defined() && data_.dim() >= 1 && target_.dim() >= 1, ShapeError,
               "TensorBatchDataset: expected data and target with a first dimension");
  SINTER_CHECK(data_.size(0) == target_.size(0), ShapeError, "TensorBatchDataset: data has ", data_.size(0),
               " examples but target has ", target_.size(0));
}

Example<> TensorBatchDataset::get_batch(ArrayRef<size_t> indices) {
  const auto n = static_cast<int64_t>(indices.size());
  Tensor idx = sinter::empty({n}, kLong);
  auto* p = idx.data_ptr<int64_t>();
  const auto size = static_cast<size_t>(data_.size(0));
  for (int64_t i = 0; i < n; ++i) {
    SINTER_CHECK(indices[static_cast<size_t>(i)] < size, IndexError, "TensorBatchDataset: index ",
                 indices[static_cast<size_t>(i)], " out of range for size ", size);
    p[i] = static_cast<int64_t>(indices[static_cast<size_t>(i)]);
  }
  Tensor d = data_.index_select(0, idx);
  if (transform_) d = transform_(std::move(d));
  return {std::move(d), target_.index_select(0, idx)};
}

std::optional<size_t> TensorBatchDataset::size() const { return static_cast<size_t>(data_.size(0)); }

// ---- MNIST ------------------------------------------------------------------------------------

namespace {

bool is_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string strip_slash(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string find_idx(const std::string& root, const std::string& name) {
  const std::string base = strip_slash(root) + "/" + name;
  if (is_file(base)) return base;
  if (is_file(base + ".gz")) return base + ".gz";
  std::string msg = str_cat("MNIST: cannot find '", base, "' or '", base, ".gz'");
  if (!is_dir(root)) msg += str_cat(" (the folder '", root, "' does not exist)");
  // Debian's dataset packages install under /usr/share/datasets.
  if (strip_slash(root) == MNIST::kFashionMnistDir || root.rfind("/usr/share/datasets/", 0) == 0)
    msg += str_cat("; Fashion-MNIST comes with Debian's dataset-fashion-mnist package (apt install dataset-fashion-mnist),"
                   " which puts it in ", MNIST::kFashionMnistDir);
  throw IOError(msg);
}

}  // namespace

MNIST::MNIST(const std::string& root, Mode mode) : train_(mode == Mode::kTrain) {
  const std::string prefix = train_ ? "train" : "t10k";
  const std::string images_path = find_idx(root, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_idx(root, prefix + "-labels-idx1-ubyte");
  Tensor images = io::read_idx(images_path);
  Tensor labels = io::read_idx(labels_path);
  SINTER_CHECK(images.dtype() == kByte && images.dim() == 3, IOError, "MNIST: '", images_path,
               "' is not a uint8 (N, rows, cols) image file (dtype ", images.dtype(), ", shape ", images.sizes(), ")");
  SINTER_CHECK(labels.dtype() == kByte && labels.dim() == 1, IOError, "MNIST: '", labels_path,
               "' is not a uint8 (N) label file (dtype ", labels.dtype(), ", shape ", labels.sizes(), ")");
  SINTER_CHECK(images.size(0) == labels.size(0), IOError, "MNIST: '", images_path, "' has ", images.size(0),
               " images but '", labels_path, "' has ", labels.size(0), " labels");
  images_ = images.to(kFloat).div_(255).unsqueeze(1);
  targets_ = labels.to(kLong);
}

Example<> MNIST::get(size_t index) {
  SINTER_CHECK(index < static_cast<size_t>(images_.size(0)), IndexError, "MNIST: index ", index,
               " out of range for size ", images_.size(0));
  const auto i = static_cast<int64_t>(index);
  return {images_[i], targets_[i]};
}

std::optional<size_t> MNIST::size() const { return static_cast<size_t>(images_.size(0)); }

}  // namespace sinter::data::datasets
