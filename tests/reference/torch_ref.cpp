#include "torch_ref.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

extern char** environ;

namespace sinter::testing {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the worker protocol sends raw little-endian element bytes");

using json = nlohmann::json;

constexpr const char* kPython = "/usr/bin/python3";
constexpr int kStartTimeoutMs = 120'000;  // importing torch takes a couple of seconds
constexpr int kMaxRestarts = 3;

std::string worker_path() {
  if (const char* p = std::getenv("SINTER_TORCH_WORKER"); p && *p) return p;
#ifdef SINTER_SOURCE_DIR
  return SINTER_SOURCE_DIR "/tests/reference/torch_worker.py";
#else
  if (const char* p = std::getenv("SINTER_SOURCE_DIR"); p && *p)
    return std::string(p) + "/tests/reference/torch_worker.py";
  return "tests/reference/torch_worker.py";
#endif
}

int request_timeout_ms() {
  if (const char* p = std::getenv("SINTER_TORCH_TIMEOUT"); p && *p) {
    double s = std::atof(p);
    if (s > 0) return static_cast<int>(std::min(s, 1e6) * 1000);
  }
  return 600'000;
}

RefResult failure(std::string type, std::string message) {
  RefResult r;
  r.ok = false;
  r.error_type = std::move(type);
  r.message = std::move(message);
  return r;
}

RefResult harness_failure(std::string message) { return failure("HarnessError", std::move(message)); }

// Moves a pipe end off 0/1/2 so that dup2 onto the child's stdin/stdout is never a no-op that
// would leave FD_CLOEXEC set on it.
int off_std_fds(int fd) {
  if (fd > 2) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return moved;
}

std::string describe_status(int status) {
  std::ostringstream os;
  if (WIFEXITED(status))
    os << "exit status " << WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    os << "signal " << WTERMSIG(status) << " (" << strsignal(WTERMSIG(status)) << ")";
  else
    os << "status " << status;
  return os.str();
}

std::string shape_string(IntArrayRef sizes) {
  std::string s = "(";
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(sizes[i]);
  }
  if (sizes.size() == 1) s += ",";
  return s + ")";
}

std::string index_string(int64_t flat, IntArrayRef sizes) {
  std::vector<int64_t> idx(sizes.size());
  for (std::size_t d = sizes.size(); d-- > 0;) {
    int64_t n = sizes[d];
    idx[d] = n ? flat % n : 0;
    flat = n ? flat / n : 0;
  }
  std::string s = "[";
  for (std::size_t i = 0; i < idx.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(idx[i]);
  }
  return s + "]";
}

bool dtype_from_name(const std::string& name, DType& out) {
  for (int i = 0; i < kNumDTypes; ++i) {
    auto t = static_cast<DType>(i);
    if (dtype_name(t) == name) {
      out = t;
      return true;
    }
  }
  return false;
}

json encode_tensor(const Tensor& t, bool requires_grad) {
  if (!t.defined()) return nullptr;
  Tensor c = t.contiguous();
  std::size_t nbytes = static_cast<std::size_t>(c.numel()) * element_size(c.dtype());
  json shape = json::array();
  for (int64_t s : c.sizes()) shape.push_back(s);
  return json{{"dtype", std::string(dtype_name(c.dtype()))},
              {"shape", std::move(shape)},
              {"data", nbytes ? base64_encode(c.data_ptr(), nbytes) : std::string()},
              {"requires_grad", requires_grad}};
}

// Throws std::runtime_error on a malformed encoding.
Tensor decode_tensor(const json& j) {
  if (j.is_null()) return Tensor();
  if (!j.is_object()) throw std::runtime_error("tensor encoding is not an object");
  std::string name = j.at("dtype").get<std::string>();
  DType dt;
  if (!dtype_from_name(name, dt)) throw std::runtime_error("unknown dtype '" + name + "'");
  std::vector<int64_t> shape = j.at("shape").get<std::vector<int64_t>>();
  int64_t numel = 1;
  for (int64_t s : shape) {
    if (s < 0) throw std::runtime_error("negative size in shape");
    numel *= s;
  }
  std::vector<uint8_t> bytes;
  if (!base64_decode(j.at("data").get<std::string>(), bytes)) throw std::runtime_error("bad base64 data");
  std::size_t nbytes = static_cast<std::size_t>(numel) * element_size(dt);
  if (bytes.size() != nbytes)
    throw std::runtime_error("got " + std::to_string(bytes.size()) + " bytes for " + name + " of shape " +
                             shape_string(shape) + ", expected " + std::to_string(nbytes));
  Tensor t = sinter::empty(IntArrayRef(shape), TensorOptions(dt));
  if (nbytes) std::memcpy(t.data_ptr(), bytes.data(), nbytes);
  return t;
}

}  // namespace

// --- base64 ---------------------------------------------------------------------------------

std::string base64_encode(const void* data, std::size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = static_cast<const uint8_t*>(data);
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = uint32_t(p[i]) << 16 | uint32_t(p[i + 1]) << 8 | p[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (std::size_t rest = n - i) {
    uint32_t v = uint32_t(p[i]) << 16 | (rest == 2 ? uint32_t(p[i + 1]) << 8 : 0u);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode(const std::string& s, std::vector<uint8_t>& out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out.clear();
  if (s.size() % 4 != 0) return false;
  out.reserve(s.size() / 4 * 3);
  for (std::size_t i = 0; i < s.size(); i += 4) {
    bool last = i + 4 == s.size();
    int pad = 0;
    if (last) pad = (s[i + 3] == '=') + (s[i + 2] == '=' && s[i + 3] == '=');
    int v[4];
    for (int k = 0; k < 4 - pad; ++k)
      if ((v[k] = value(s[i + k])) < 0) return false;
    for (int k = 4 - pad; k < 4; ++k) v[k] = 0;
    uint32_t w = uint32_t(v[0]) << 18 | uint32_t(v[1]) << 12 | uint32_t(v[2]) << 6 | uint32_t(v[3]);
    out.push_back(uint8_t(w >> 16));
    if (pad < 2) out.push_back(uint8_t(w >> 8));
    if (pad < 1) out.push_back(uint8_t(w));
  }
  return true;
}

// --- worker process -------------------------------------------------------------------------

TorchRef& TorchRef::instance() {
  static TorchRef ref;
  return ref;
}

TorchRef::TorchRef() = default;

TorchRef::~TorchRef() { stop(); }

bool TorchRef::available() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_once_) {
    started_once_ = true;
    available_ = start();
  }
  return available_;
}

std::string TorchRef::unavailable_reason() {
  bool ok = available();
  std::lock_guard<std::mutex> lock(mu_);
  return ok ? std::string() : reason_;
}

bool TorchRef::start() {
  std::string script = worker_path();
  if (access(kPython, X_OK) != 0) {
    reason_ = std::string(kPython) + " is not available";
    return false;
  }
  if (access(script.c_str(), R_OK) != 0) {
    reason_ = "cannot read the torch worker script " + script;
    return false;
  }

  int in[2], out[2];  // in: we write, the worker reads; out: the worker writes, we read
  if (pipe2(in, O_CLOEXEC) != 0) {
    reason_ = std::string("pipe2: ") + std::strerror(errno);
    return false;
  }
  if (pipe2(out, O_CLOEXEC) != 0) {
    reason_ = std::string("pipe2: ") + std::strerror(errno);
    close(in[0]);
    close(in[1]);
    return false;
  }
  for (int* fd : {&in[0], &in[1], &out[0], &out[1]}) *fd = off_std_fds(*fd);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::string python = kPython;
  char* argv[] = {python.data(), script.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, kPython, &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    reason_ = std::string("cannot start ") + kPython + ": " + std::strerror(rc);
    return false;
  }
  pid_ = pid;
  to_worker_ = in[1];
  from_worker_ = out[0];
  pending_.clear();

  // The worker is usable once it answers a trivial request (this is where torch gets imported).
  std::string line;
  if (!write_all("{\"expr\": \"1\", \"inputs\": []}\n") || !read_line(line, kStartTimeoutMs)) {
    std::string how = stop();
    reason_ = "the torch worker did not start (" + how + "); is python3-torch installed?";
    return false;
  }
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.value("ok", false)) {
    stop();
    reason_ = "the torch worker answered a probe with: " + line;
    return false;
  }
  reason_.clear();
  return true;
}

std::string TorchRef::stop() {
  if (to_worker_ >= 0) close(to_worker_);
  if (from_worker_ >= 0) close(from_worker_);
  to_worker_ = from_worker_ = -1;
  pending_.clear();
  if (pid_ <= 0) return "not running";
  // Closing stdin asks the worker to exit; give it a moment before killing it.
  int status = 0;
  pid_t got = 0;
  for (int i = 0; i < 200 && (got = waitpid(pid_, &status, WNOHANG)) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (got == 0) {
    kill(pid_, SIGKILL);
    while ((got = waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
  return got > 0 ? describe_status(status) : "not reaped";
}

bool TorchRef::write_all(const std::string& s) {
  if (to_worker_ < 0) return false;
  // A write to a dead worker raises SIGPIPE, which would kill the test binary. Block it in this
  // thread for the duration, and swallow the one our write caused (if any).
  sigset_t pipe_set, old_mask, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);

  bool ok = true;
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = write(to_worker_, s.data() + done, s.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
      if (errno == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  return ok;
}

bool TorchRef::read_line(std::string& line, int timeout_ms) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t scanned = 0;
  timed_out_ = false;
  for (;;) {
    std::size_t nl = pending_.find('\n', scanned);
    if (nl != std::string::npos) {
      line.assign(pending_, 0, nl);
      pending_.erase(0, nl + 1);
      return true;
    }
    scanned = pending_.size();
    if (from_worker_ < 0) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) {
      timed_out_ = true;
      return false;
    }
    struct pollfd pfd = {from_worker_, POLLIN, 0};
    int pr = poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (pr < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (pr == 0) continue;  // the deadline check above ends the loop
    char buf[1 << 16];
    ssize_t n = read(from_worker_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    if (n == 0) return false;  // the worker closed its stdout
    pending_.append(buf, static_cast<std::size_t>(n));
  }
}

RefResult TorchRef::exchange(const std::string& request) {
  if (!started_once_) {
    started_once_ = true;
    available_ = start();
  }
  if (!available_) return harness_failure("torch is not available: " + reason_);
  if (pid_ <= 0) {
    if (restarts_ >= kMaxRestarts)
      return harness_failure("the torch worker died and was restarted " + std::to_string(kMaxRestarts) +
                             " times already: " + reason_);
    ++restarts_;
    if (!start()) return harness_failure("cannot restart the torch worker: " + reason_);
  }

  std::string line;
  if (!write_all(request)) {
    reason_ = "the torch worker died before the request was sent (" + stop() + ")";
    return harness_failure(reason_);
  }
  if (!read_line(line, request_timeout_ms())) {
    bool timed_out = timed_out_;
    if (timed_out && pid_ > 0) kill(pid_, SIGKILL);
    std::string how = stop();
    reason_ = timed_out ? "the torch worker was killed after " + std::to_string(request_timeout_ms() / 1000) +
                              " s on one request (SINTER_TORCH_TIMEOUT sets the limit)"
                        : "the torch worker died while serving the request (" + how + ")";
    return harness_failure(reason_);
  }

  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return harness_failure("unreadable answer from the torch worker: " + line);
  try {
    RefResult r;
    r.ok = j.value("ok", false);
    if (!r.ok) {
      r.error_type = j.value("error_type", std::string("HarnessError"));
      r.message = j.value("message", std::string());
      return r;
    }
    for (const auto& o : j.at("outputs")) r.outputs.push_back(decode_tensor(o));
    if (j.contains("grads"))
      for (const auto& g : j.at("grads")) r.grads.push_back(decode_tensor(g));
    return r;
  } catch (const std::exception& e) {
    return harness_failure(std::string("cannot decode the torch worker's answer: ") + e.what());
  }
}

RefResult TorchRef::run(const std::string& expr, const std::vector<Tensor>& inputs,
                        const std::vector<bool>& requires_grad, const std::vector<Tensor>& grad_outputs,
                        const std::string& stmt) {
  std::string request;
  try {
    json req;
    req["expr"] = expr;
    json ins = json::array();
    for (std::size_t i = 0; i < inputs.size(); ++i)
      ins.push_back(encode_tensor(inputs[i], i < requires_grad.size() && requires_grad[i]));
    req["inputs"] = std::move(ins);
    if (!grad_outputs.empty()) {
      json gos = json::array();
      for (const Tensor& g : grad_outputs) gos.push_back(encode_tensor(g, false));
      req["grad_outputs"] = std::move(gos);
    }
    if (!stmt.empty()) req["stmt"] = stmt;
    request = req.dump(-1, ' ', false, json::error_handler_t::replace);
    request += '\n';
  } catch (const std::exception& e) {
    return harness_failure(std::string("cannot encode the request: ") + e.what());
  }
  std::lock_guard<std::mutex> lock(mu_);
  return exchange(request);
}

// --- comparison -----------------------------------------------------------------------------

std::pair<double, double> default_tolerance(DType t) {
  switch (t) {
    case DType::Float: return {1.3e-6, 1e-5};
    case DType::Double: return {1e-7, 1e-7};
    case DType::Half: return {1e-3, 1e-5};
    case DType::BFloat16: return {1.6e-2, 1e-5};
    default: return {0.0, 0.0};
  }
}

namespace {

// Element values of a tensor: as doubles for floating dtypes, as int64 otherwise.
struct Values {
  std::vector<double> f;
  std::vector<int64_t> i;
};

Values load_values(const Tensor& t) {
  Values v;
  Tensor c = t.contiguous();
  auto n = static_cast<std::size_t>(c.numel());
  visit_dtype(c.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = n ? static_cast<const T*>(c.data_ptr()) : nullptr;
    if constexpr (is_float_type_v<T>) {
      v.f.resize(n);
      for (std::size_t k = 0; k < n; ++k) v.f[k] = static_cast<double>(static_cast<compute_t<T>>(p[k]));
    } else {
      v.i.resize(n);
      for (std::size_t k = 0; k < n; ++k) v.i[k] = static_cast<int64_t>(p[k]);
    }
  });
  return v;
}

std::string fmt(double x) {
  std::ostringstream os;
  os.precision(10);
  os << x;
  return os.str();
}

}  // namespace

::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected, double rtol,
                                         double atol) {
  if (!actual.defined() || !expected.defined()) {
    if (!actual.defined() && !expected.defined()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << (actual.defined() ? "expected" : "actual")
                                         << " is an undefined tensor and the other is not";
  }
  if (!(actual.sizes() == expected.sizes()))
    return ::testing::AssertionFailure() << "shape mismatch: actual " << shape_string(actual.sizes())
                                         << " vs expected " << shape_string(expected.sizes());
  if (actual.dtype() != expected.dtype())
    return ::testing::AssertionFailure() << "dtype mismatch: actual " << dtype_name(actual.dtype())
                                         << " vs expected " << dtype_name(expected.dtype());

  Values a = load_values(actual), e = load_values(expected);
  IntArrayRef sizes = expected.sizes();
  int64_t mismatches = 0, first = -1, worst = -1;
  double max_abs = 0;
  if (!e.i.empty() || !a.i.empty()) {
    for (std::size_t k = 0; k < e.i.size(); ++k) {
      double diff = std::fabs(static_cast<double>(a.i[k]) - static_cast<double>(e.i[k]));
      if (a.i[k] != e.i[k] && diff > atol + rtol * std::fabs(static_cast<double>(e.i[k]))) {
        if (first < 0) first = static_cast<int64_t>(k);
        ++mismatches;
      }
      if (diff > max_abs) max_abs = diff, worst = static_cast<int64_t>(k);
    }
  } else {
    for (std::size_t k = 0; k < e.f.size(); ++k) {
      double x = a.f[k], y = e.f[k];
      bool close;
      if (std::isnan(x) || std::isnan(y))
        close = std::isnan(x) && std::isnan(y);
      else if (x == y)
        close = true;
      else if (std::isinf(x) || std::isinf(y))
        close = false;
      else
        close = std::fabs(x - y) <= atol + rtol * std::fabs(y);
      if (!close) {
        if (first < 0) first = static_cast<int64_t>(k);
        ++mismatches;
      }
      if (std::isfinite(x) && std::isfinite(y) && std::fabs(x - y) > max_abs)
        max_abs = std::fabs(x - y), worst = static_cast<int64_t>(k);
    }
  }
  if (mismatches == 0) return ::testing::AssertionSuccess();

  auto value_at = [&](const Values& v, int64_t k) {
    return v.f.empty() ? std::to_string(v.i[static_cast<std::size_t>(k)]) : fmt(v.f[static_cast<std::size_t>(k)]);
  };
  auto failure = ::testing::AssertionFailure();
  failure << "tensors differ (dtype " << dtype_name(expected.dtype()) << ", shape " << shape_string(sizes)
          << ", rtol " << rtol << ", atol " << atol << "): " << mismatches << " of " << expected.numel()
          << " elements mismatch; first at index " << index_string(first, sizes) << ": actual "
          << value_at(a, first) << " vs expected " << value_at(e, first) << "; max abs difference "
          << fmt(max_abs);
  if (worst >= 0) failure << " at index " << index_string(worst, sizes);
  return failure;
}

::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected) {
  auto [rtol, atol] = default_tolerance(expected.defined() ? expected.dtype() : DType::Float);
  return tensors_close(actual, expected, rtol, atol);
}

}  // namespace sinter::testing
