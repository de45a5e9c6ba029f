// MNIST-format datasets from synthetic IDX files (plain and gzipped), and their errors.
#include <gtest/gtest.h>

#include "sinter/data.h"
#include "sinter/io.h"
#include "sinter/sinter.h"
#include "test_util.h"

using namespace sinter;
using namespace sinter::data;
using sinter::testing::TempDir;

namespace {

void write_mnist(const TempDir& dir, const std::string& prefix, int64_t n, bool gz) {
  Tensor images = (arange(n * 28 * 28, kLong) % 256).to(kByte).reshape({n, 28, 28});
  Tensor labels = (arange(n, kLong) % 10).to(kByte);
  const std::string ext = gz ? ".gz" : "";
  io::write_idx(dir.file(prefix + "-images-idx3-ubyte" + ext), images, gz);
  io::write_idx(dir.file(prefix + "-labels-idx1-ubyte" + ext), labels, gz);
}

}  // namespace

TEST(MNIST, ReadsPlainAndGzippedFiles) {
  for (bool gz : {false, true}) {
    TempDir dir;
    write_mnist(dir, "train", 30, gz);
    write_mnist(dir, "t10k", 12, !gz);
    datasets::MNIST train(dir.path()), test(dir.path() + "/", datasets::MNIST::Mode::kTest);
    EXPECT_TRUE(train.is_train());
    EXPECT_FALSE(test.is_train());
    ASSERT_EQ(train.size().value(), 30u);
    ASSERT_EQ(test.size().value(), 12u);
    EXPECT_EQ(train.images().sizes(), IntArrayRef({30, 1, 28, 28}));
    EXPECT_EQ(train.images().dtype(), kFloat);
    EXPECT_EQ(train.targets().dtype(), kLong);
    Example<> e = train.get(1);
    EXPECT_EQ(e.data.sizes(), IntArrayRef({1, 28, 28}));
    EXPECT_EQ(e.target.item<int64_t>(), 1);
    // Pixel k of image 1 is (784 + k) % 256, scaled to [0, 1].
    EXPECT_FLOAT_EQ(e.data[0][0][5].item<float>(), static_cast<float>((784 + 5) % 256) / 255.f);
    EXPECT_FLOAT_EQ(train.images().max().item<float>(), 1.f);
    EXPECT_THROW(train.get(30), IndexError);
  }
}

TEST(MNIST, ClearErrors) {
  TempDir dir;
  try {
    datasets::MNIST m(dir.path());
    ADD_FAILURE() << "loaded from an empty folder";
  } catch (const IOError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(dir.file("train-images-idx3-ubyte")), std::string::npos) << msg;
    EXPECT_NE(msg.find("train-images-idx3-ubyte.gz"), std::string::npos) << msg;
  }
  try {
    datasets::MNIST m("/usr/share/datasets/no-such-dataset");
    ADD_FAILURE() << "loaded a missing folder";
  } catch (const IOError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
    EXPECT_NE(msg.find("dataset-fashion-mnist"), std::string::npos) << msg;
  }
  // Image and label counts that disagree.
  write_mnist(dir, "train", 5, false);
  io::write_idx(dir.file("train-labels-idx1-ubyte"), zeros({4}, kByte));
  EXPECT_THROW(datasets::MNIST m(dir.path()), IOError);
  // A label file where the images should be.
  io::write_idx(dir.file("train-images-idx3-ubyte"), zeros({4}, kByte));
  EXPECT_THROW(datasets::MNIST m(dir.path()), IOError);
  // A truncated gzip file.
  TempDir gz;
  write_mnist(gz, "train", 5, true);
  const std::string raw = sinter::testing::read_raw(gz.file("train-images-idx3-ubyte.gz"));
  sinter::testing::write_raw(gz.file("train-images-idx3-ubyte.gz"), raw.substr(0, raw.size() / 2));
  EXPECT_THROW(datasets::MNIST m(gz.path()), IOError);
}
