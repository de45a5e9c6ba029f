// Files: whole-file reads with size limits, and atomic writes.
//
// Every file sinter writes goes through AtomicFile: the bytes go to a temporary file in the
// same directory, which is flushed (fsync), renamed over the target, and the directory is
// flushed too. A reader therefore sees the old file or the new one, never a torn mix, even if
// the writing process is killed; a write that fails (or throws) leaves the old file intact.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace sinter::io {

/// A file being written atomically. Write, then commit(); destroying it uncommitted removes the
/// temporary file and leaves `path` untouched.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  /// Bytes written so far.
  uint64_t size() const { return written_; }
  /// fsync, rename over the target, fsync the directory. IOError on any failure.
  void commit();
  const std::string& path() const { return path_; }

 private:
  void flush_buffer();
  std::string path_, tmp_path_;
  int fd_ = -1;
  uint64_t written_ = 0;
  std::string buf_;
  bool committed_ = false;
};

/// Writes `bytes` to `path` atomically.
void atomic_write(const std::string& path, std::string_view bytes);
/// Calls `fill` with an AtomicFile for `path`, then commits; if `fill` throws, `path` keeps its
/// old content and the exception propagates.
void atomic_write(const std::string& path, const std::function<void(AtomicFile&)>& fill);

/// The whole file. IOError (naming the file) when it cannot be read or is over `max_bytes`.
std::string read_file(const std::string& path, std::size_t max_bytes = std::size_t(1) << 40);

/// A read-only open file with positioned reads (used by the loaders).
class InputFile {
 public:
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  uint64_t size() const { return size_; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  /// Reads exactly n bytes at `offset`; IOError if the file ends first.
  void read_at(uint64_t offset, void* dst, std::size_t n) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace sinter::io
