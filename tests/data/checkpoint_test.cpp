// Atomic writes and checkpoints, including a writer killed with SIGKILL at random moments.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include "sinter/io.h"
#include "sinter/sinter.h"
#include "test_util.h"

using namespace sinter;
using sinter::testing::read_raw;
using sinter::testing::TempDir;

TEST(AtomicWrite, ReplacesWholeOrNotAtAll) {
  TempDir dir;
  const std::string path = dir.file("f.bin");
  io::atomic_write(path, std::string("old content"));
  EXPECT_EQ(read_raw(path), "old content");
  // A write that fails half way leaves the old file and no temporary behind.
  EXPECT_THROW(io::atomic_write(path,
                                [](io::AtomicFile& f) {
                                  f.write(std::string(5 << 20, 'x'));
                                  throw IOError("disk on fire");
                                }),
               IOError);
  EXPECT_EQ(read_raw(path), "old content");
  EXPECT_EQ(dir.files(), std::vector<std::string>{"f.bin"});
  // A save rejected mid-way (an undefined tensor) does not touch the old file either.
  OrderedDict<std::string, Tensor> d("tensor");
  d.insert("ok", ones({3}));
  d.insert("bad", Tensor());
  EXPECT_THROW(io::save_safetensors(path, d), ValueError);
  EXPECT_EQ(read_raw(path), "old content");
  io::atomic_write(path, std::string("new"));
  EXPECT_EQ(read_raw(path), "new");
  EXPECT_EQ(dir.files(), std::vector<std::string>{"f.bin"});
  // A folder that does not exist is an IOError naming the path.
  try {
    io::atomic_write(dir.file("no/such/dir/x"), std::string("x"));
    ADD_FAILURE() << "wrote into a missing folder";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/dir/x"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, TrainingStateRoundTripAndRngRestore) {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  manual_seed(42);
  io::TrainingState st;
  st.model.insert("fc.weight", randn({4, 3}));
  st.model.insert("fc.bias", randn({4}));
  st.optimizer.tensors.insert("state.0.exp_avg", randn({4, 3}));
  st.optimizer.put_double("lr", 1e-3);
  st.scheduler.put_int("last_epoch", 5);
  st.epoch = 3;
  st.step = 1234;
  io::save_training_checkpoint(path, st);
  // What the RNG produces after the save...
  Tensor after_save = randn({5});
  randn({100});  // the run goes on
  auto back = io::load_training_checkpoint(path);
  // ...is produced again after loading: the generator state was restored.
  EXPECT_TRUE(randn({5}).equal(after_save));
  EXPECT_EQ(back.epoch, 3);
  EXPECT_EQ(back.step, 1234);
  ASSERT_EQ(back.model.size(), 2u);
  EXPECT_TRUE(back.model["fc.weight"].equal(st.model["fc.weight"]));
  EXPECT_TRUE(back.model["fc.bias"].equal(st.model["fc.bias"]));
  EXPECT_TRUE(back.optimizer.tensor("state.0.exp_avg").equal(st.optimizer.tensor("state.0.exp_avg")));
  EXPECT_DOUBLE_EQ(back.optimizer.get_double("lr"), 1e-3);
  EXPECT_EQ(back.scheduler.get_int("last_epoch"), 5);
  // The file is an ordinary safetensors file with the documented keys.
  auto raw = io::load_checkpoint(path);
  EXPECT_TRUE(raw.tensors.contains("model.fc.weight"));
  EXPECT_TRUE(raw.tensors.contains("optim.state.0.exp_avg"));
  EXPECT_EQ(raw.tensor("rng").dtype(), kByte);
  EXPECT_EQ(raw.get("epoch"), "3");
  EXPECT_EQ(raw.get("sched.last_epoch"), "5");
  // Without the RNG.
  io::save_training_checkpoint(path, st, /*save_rng=*/false);
  EXPECT_FALSE(io::load_checkpoint(path).tensors.contains("rng"));
  // Not a training checkpoint.
  io::save_safetensors(path, st.model);
  EXPECT_THROW(io::load_training_checkpoint(path), ValueError);
}

// A child process saves checkpoints with growing step numbers and reports each finished save
// on a pipe; the parent kills it with SIGKILL at random moments. The file on disk must always
// be a complete checkpoint: the last one reported, or the one after it (renamed into place
// just before the kill).
TEST(Checkpoint, SurvivesWriterKilledAtRandomMoments) {
  TempDir dir;
  const std::string path = dir.file("train.ckpt");
  // A few MB so that kills land inside writes; the archive is built before fork, the child
  // only writes into its memory and saves.
  serialize::Archive a;
  a.tensors.insert("w", zeros({1 << 20}, kFloat));
  a.tensors.insert("b", zeros({1000}, kLong));
  std::mt19937 rng(1234);
  int64_t last_loaded = 0;
  int64_t next_step = 1;
  int rounds_with_progress = 0;
  for (int round = 0; round < 6; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const int64_t first = next_step;
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      for (int64_t step = first;; ++step) {
        auto* w = a.tensors["w"].data_ptr<float>();
        for (int64_t i = 0; i < (1 << 20); ++i) w[i] = static_cast<float>(step);
        auto* b = a.tensors["b"].data_ptr<int64_t>();
        for (int i = 0; i < 1000; ++i) b[i] = step * 1000 + i;
        a.meta["step"] = std::to_string(step);
        try {
          io::save_checkpoint(path, a);
        } catch (...) {
          ::_exit(3);
        }
        if (::write(fds[1], &step, sizeof step) != sizeof step) ::_exit(4);
      }
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 120));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the writer failed on its own: " << status;
    int64_t reported = last_loaded, s;
    while (::read(fds[0], &s, sizeof s) == sizeof s) reported = s;
    ::close(fds[0]);
    if (reported == last_loaded && last_loaded == 0 && ::access(path.c_str(), F_OK) != 0) continue;  // killed before any save
    auto ck = io::load_checkpoint(path);  // must never be torn
    const int64_t step = ck.get_int("step");
    EXPECT_TRUE(step == reported || step == reported + 1) << "loaded step " << step << ", last reported " << reported;
    EXPECT_GE(step, last_loaded);
    EXPECT_TRUE(ck.tensor("w").eq(static_cast<double>(step)).all().item<bool>()) << "tensor w is from another step";
    EXPECT_EQ(ck.tensor("b")[999].item<int64_t>(), step * 1000 + 999);
    if (step > last_loaded) ++rounds_with_progress;
    last_loaded = step;
    next_step = step + 1;
  }
  EXPECT_GE(rounds_with_progress, 3) << "the writer should finish some saves in most rounds";
  // Killed writers leave temporary files (never the checkpoint itself half written).
  int temps = 0;
  for (const auto& f : dir.files())
    if (f != "train.ckpt") {
      EXPECT_NE(f.find(".tmp."), std::string::npos) << f;
      ++temps;
    }
  std::printf("[ checkpoint ] %d kills, last step %lld, %d killed mid-write (temporary files left)\n", 6,
              static_cast<long long>(last_loaded), temps);
}
