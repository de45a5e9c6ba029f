#include "sinter/io/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sinter/error.h"

namespace sinter::io {

using detail::str_cat;

namespace {

constexpr std::size_t kBufferBytes = std::size_t(1) << 20;

std::string errno_str(int e) { return std::strerror(e); }

std::string dir_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The process umask, read once (umask() can only be read by setting it).
mode_t process_umask() {
  static const mode_t mask = [] {
    mode_t m = ::umask(022);
    ::umask(m);
    return m;
  }();
  return mask;
}
[[maybe_unused]] const mode_t g_umask_at_load = process_umask();

void write_all(int fd, const char* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw IOError(str_cat("write '", path, "': ", errno_str(errno)));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  SINTER_CHECK(!path_.empty(), IOError, "AtomicFile: empty path");
  tmp_path_ = path_ + ".tmp.XXXXXX";
  fd_ = ::mkstemp(tmp_path_.data());
  if (fd_ < 0) {
    int e = errno;
    throw IOError(str_cat("cannot write '", path_, "': creating a temporary file in '", dir_of(path_),
                          "' failed: ", errno_str(e)));
  }
  // mkstemp creates 0600; give the file the mode an ordinary create would (or the old file's).
  struct stat st;
  mode_t mode = (::stat(path_.c_str(), &st) == 0) ? (st.st_mode & 07777) : (0666 & ~process_umask());
  ::fchmod(fd_, mode);
  buf_.reserve(kBufferBytes);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_path_.c_str());
}

void AtomicFile::flush_buffer() {
  if (buf_.empty()) return;
  write_all(fd_, buf_.data(), buf_.size(), tmp_path_);
  buf_.clear();
}

void AtomicFile::write(const void* data, std::size_t n) {
  SINTER_CHECK(fd_ >= 0 && !committed_, IOError, "write '", path_, "': file already committed");
  const char* p = static_cast<const char*>(data);
  if (buf_.size() + n <= kBufferBytes) {
    buf_.append(p, n);
  } else {
    flush_buffer();
    if (n >= kBufferBytes / 2) write_all(fd_, p, n, tmp_path_);
    else buf_.append(p, n);
  }
  written_ += n;
}

void AtomicFile::commit() {
  SINTER_CHECK(fd_ >= 0 && !committed_, IOError, "commit '", path_, "': file already committed");
  flush_buffer();
  if (::fsync(fd_) != 0) throw IOError(str_cat("fsync '", tmp_path_, "': ", errno_str(errno)));
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw IOError(str_cat("close '", tmp_path_, "': ", errno_str(errno)));
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0)
    throw IOError(str_cat("cannot write '", path_, "': rename from '", tmp_path_, "' failed: ", errno_str(errno)));
  committed_ = true;
  // The rename is durable once the directory entry is on disk.
  int dfd = ::open(dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void atomic_write(const std::string& path, std::string_view bytes) {
  AtomicFile f(path);
  f.write(bytes);
  f.commit();
}

void atomic_write(const std::string& path, const std::function<void(AtomicFile&)>& fill) {
  AtomicFile f(path);
  fill(f);
  f.commit();
}

InputFile::InputFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    int e = errno;
    throw IOError(str_cat("cannot open '", path, "': ", errno_str(e)));
  }
  struct stat st;
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    throw IOError(str_cat("cannot read '", path, "': not a regular file"));
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::read_at(uint64_t offset, void* dst, std::size_t n) const {
  SINTER_CHECK(offset <= size_ && n <= size_ - offset, IOError, "'", path_, "': truncated: need ", n,
               " bytes at offset ", offset, " but the file has ", size_, " bytes");
  char* p = static_cast<char*>(dst);
  while (n > 0) {
    ssize_t r = ::pread(fd_, p, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw IOError(str_cat("read '", path_, "': ", errno_str(errno)));
    }
    SINTER_CHECK(r > 0, IOError, "'", path_, "': truncated: the file ended while reading");
    p += r;
    n -= static_cast<std::size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
}

std::string read_file(const std::string& path, std::size_t max_bytes) {
  InputFile f(path);
  SINTER_CHECK(f.size() <= max_bytes, IOError, "'", path, "': file of ", f.size(), " bytes is over the limit of ",
               max_bytes, " bytes");
  std::string s(static_cast<std::size_t>(f.size()), '\0');
  f.read_at(0, s.data(), s.size());
  return s;
}

}  // namespace sinter::io
