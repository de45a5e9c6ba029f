// Anomaly mode support: where in the user's program did an op run?
// The call stack is captured when a node is created (only in anomaly mode) and resolved to
// "function at file:line" when an anomaly is reported, using the binary's debug info
// through addr2line when it is available.
#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sinter/autograd.h"

extern char** environ;

namespace sinter {

namespace {

const void* own_base() {
  static const void* base = [] {
    Dl_info info{};
    dladdr(reinterpret_cast<void*>(&capture_call_stack), &info);
    return info.dli_fbase;
  }();
  return base;
}

std::string demangle(const char* s) {
  if (!s) return "??";
  int status = 0;
  char* d = abi::__cxa_demangle(s, nullptr, nullptr, &status);
  std::string r = status == 0 && d ? d : s;
  std::free(d);
  return r;
}

/// Runs `addr2line -C -f -e file addr` and returns "function at file:line", or "" on failure.
std::string addr2line(const char* file, uintptr_t addr) {
  int fds[2];
  if (pipe(fds) != 0) return "";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 0, 0);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  char hex[32];
  std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(addr));
  std::string f = file;
  char* argv[] = {const_cast<char*>("addr2line"), const_cast<char*>("-C"), const_cast<char*>("-f"),
                  const_cast<char*>("-e"), f.data(), hex, nullptr};
  pid_t pid;
  int rc = posix_spawnp(&pid, "addr2line", &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  std::string out;
  if (rc == 0) {
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    int st;
    waitpid(pid, &st, 0);
  }
  close(fds[0]);
  auto nl = out.find('\n');
  if (nl == std::string::npos) return "";
  std::string fn = out.substr(0, nl), where = out.substr(nl + 1);
  while (!where.empty() && (where.back() == '\n' || where.back() == ' ')) where.pop_back();
  auto disc = where.find(" (discriminator");
  if (disc != std::string::npos) where = where.substr(0, disc);
  if (fn.empty() || fn[0] == '?') return "";
  if (where.empty() || where[0] == '?') return fn + " in " + file + " (built without debug info: no line number)";
  return fn + " at " + where;
}

}  // namespace

std::vector<void*> capture_call_stack() {
  std::vector<void*> frames(48);
  int n = backtrace(frames.data(), static_cast<int>(frames.size()));
  frames.resize(static_cast<size_t>(std::max(n, 0)));
  return frames;
}

std::string describe_user_frame(const std::vector<void*>& stack) {
  for (void* pc : stack) {
    Dl_info info{};
    if (!dladdr(pc, &info) || info.dli_fbase == own_base()) continue;
    std::string name = info.dli_fname ? info.dli_fname : "";
    // Runtime libraries are never the user's code (sanitizer builds put their interceptor of
    // backtrace() on the stack too).
    if (name.find("libstdc++") != std::string::npos || name.find("libc.so") != std::string::npos ||
        name.find("libasan") != std::string::npos || name.find("libubsan") != std::string::npos)
      continue;
    // Return addresses point after the call; step back one byte to land on the call's line.
    uintptr_t rel = reinterpret_cast<uintptr_t>(pc) - reinterpret_cast<uintptr_t>(info.dli_fbase) - 1;
    std::string r = addr2line(info.dli_fname, rel);
    if (!r.empty()) return r;
    return demangle(info.dli_sname) + " in " + name;
  }
  return "an unknown location";
}

}  // namespace sinter
