// The `sinter` command-line program.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "sinter/graph/session.h"
#include "sinter/io/npy.h"
#include "sinter/onnx.h"
#include "sinter/onnx/backend_test.h"
#include "sinter/sinter.h"

// The registry lives in the library's internal headers; the CLI lists it through them.
#include "ops/registry.h"

static int usage() {
  std::cerr << "usage: sinter <command>\n"
               "  ops        list every op in the registry (name, inputs, attributes, ONNX names)\n"
               "  version    print the version\n"
               "  test-onnx [DIR ...]\n"
               "             runs ONNX backend-test cases (model.onnx + test_data_set_*); DIR is a case\n"
               "             folder or a folder of them (default: libonnx-testdata's node suite)\n"
               "  inspect MODEL.onnx\n"
               "             inputs, outputs, op histogram, parameter count, FLOP estimate\n"
               "  run MODEL.onnx --input NAME=FILE.npy ... [--output-dir DIR]\n"
               "             runs the model; writes DIR/<output name>.npy for every output\n"
               "  bench MODEL.onnx [--batch N] [--threads T] [--runs R] [--warmup W] [--no-fuse] [--json]\n"
               "             latency (p50/p90/p99) and throughput on random inputs; symbolic dims\n"
               "             take N (default 1); the graph is fused for inference unless --no-fuse\n";
  return 2;
}

// Prints one line per failed or skipped case, then the counts; fails when any case failed.
static int test_onnx_cmd(int argc, char** argv) {
  namespace backend = sinter::onnx::backend;
  std::vector<std::string> dirs(argv + 2, argv + argc);
  if (dirs.empty()) dirs.push_back((std::filesystem::path(backend::testdata_dir()) / "node").string());
  int passed = 0, failed = 0, skipped = 0;
  for (auto& d : dirs) {
    for (auto& c : backend::cases(d)) {
      auto r = backend::run_case(c);
      if (r.status == backend::CaseResult::Passed) {
        ++passed;
        continue;
      }
      bool skip = r.status == backend::CaseResult::Skipped;
      ++(skip ? skipped : failed);
      std::cout << (skip ? "SKIP " : "FAIL ") << c << ": " << r.reason << "\n";
    }
  }
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  return failed ? 1 : 0;
}

static std::string human(double v) {
  const char* units[] = {"", "K", "M", "G", "T", "P"};
  int u = 0;
  while (v >= 1000 && u < 5) {
    v /= 1000;
    ++u;
  }
  std::ostringstream os;
  os << std::setprecision(u ? 3 : 0) << std::fixed << v << units[u];
  return os.str();
}

static int inspect_cmd(int argc, char** argv) {
  if (argc != 3) return usage();
  auto info = sinter::onnx::inspect(argv[2]);
  std::cout << "model: " << argv[2] << "\n"
            << "producer: " << (info.producer.empty() ? "?" : info.producer) << ", IR version " << info.ir_version
            << ", opset " << info.opset << "\n";
  std::cout << "inputs:\n";
  for (auto& io : info.inputs) std::cout << "  " << io.name << ": " << io.type << "\n";
  std::cout << "outputs:\n";
  for (auto& io : info.outputs) std::cout << "  " << io.name << ": " << io.type << "\n";
  std::cout << "ops:\n";
  for (auto& [op, n] : info.op_histogram) std::cout << "  " << std::left << std::setw(24) << op << n << "\n";
  std::cout << "parameters: " << info.parameters << " (" << human(static_cast<double>(info.parameters)) << ")\n";
  std::cout << "FLOPs (Conv/Gemm/MatMul, symbolic dims as 1): " << static_cast<int64_t>(info.flops) << " ("
            << human(info.flops) << ")\n";
  return 0;
}

static int run_cmd(int argc, char** argv) {
  if (argc < 3) return usage();
  std::string model = argv[2], out_dir = ".";
  std::map<std::string, std::string> files;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--input" || a == "-i") && i + 1 < argc) {
      std::string kv = argv[++i];
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "sinter run: --input wants NAME=FILE.npy, got '" << kv << "'\n";
        return 2;
      }
      files[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (a == "--output-dir" && i + 1 < argc) {
      out_dir = argv[++i];
    } else {
      std::cerr << "sinter run: unknown argument '" << a << "'\n";
      return usage();
    }
  }
  auto g = sinter::onnx::load(model);
  std::map<std::string, sinter::Tensor> inputs;
  for (auto* v : g->inputs()) {
    auto it = files.find(v->name);
    if (it == files.end()) {
      std::cerr << "sinter run: missing --input " << v->name << "=FILE.npy (" << v->type_str() << ")\n";
      return 2;
    }
    inputs[v->name] = sinter::io::load_npy(it->second);
    files.erase(it);
  }
  for (auto& [name, f] : files) {
    std::cerr << "sinter run: the model has no input named '" << name << "'\n";
    return 2;
  }
  sinter::graph::Session s(*g);
  auto outs = s.run_named(inputs);
  std::filesystem::create_directories(out_dir);
  for (auto* v : g->outputs()) {
    auto& t = outs.at(v->name);
    std::string safe = v->name;
    for (auto& ch : safe)
      if (ch == '/' || ch == '\\' || ch == ':') ch = '_';
    std::string path = (std::filesystem::path(out_dir) / (safe + ".npy")).string();
    sinter::io::save_npy(path, t.contiguous());
    std::cout << v->name << ": " << sinter::shape_str(t.sizes()) << " " << t.dtype() << " -> " << path << "\n";
  }
  return 0;
}

// sinter bench: loads (and fuses) a model, runs it on random inputs, reports latency percentiles,
// throughput and the arena a run needs.
static int bench_cmd(int argc, char** argv) {
  if (argc < 3) return usage();
  int64_t batch = 1;
  int threads = 0, runs = 50, warmup = 5;
  bool fuse = true, json = false;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    auto num = [&](const char* what) {
      if (i + 1 >= argc) throw sinter::ValueError(std::string("sinter bench: ") + what + " needs a value");
      std::string v = argv[++i];
      size_t used = 0;
      long long n = 0;
      try {
        n = std::stoll(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != v.size() || n < (a == "--warmup" ? 0 : 1))
        throw sinter::ValueError("sinter bench: " + a + " wants a positive integer, got '" + v + "'");
      return n;
    };
    if (a == "--batch") batch = num("--batch");
    else if (a == "--threads") threads = static_cast<int>(num("--threads"));
    else if (a == "--runs") runs = static_cast<int>(num("--runs"));
    else if (a == "--warmup") warmup = static_cast<int>(num("--warmup"));
    else if (a == "--no-fuse") fuse = false;
    else if (a == "--json") json = true;
    else {
      std::cerr << "sinter bench: unknown argument '" << a << "'\n";
      return usage();
    }
  }
  if (threads > 0) sinter::set_num_threads(threads);
  auto g = sinter::onnx::load(argv[2]);
  sinter::graph::Session s(*g, {.fuse = fuse});
  size_t rewrites = s.stats().fused;
  std::vector<sinter::Tensor> inputs;
  std::vector<std::vector<int64_t>> shapes;
  for (auto* v : g->inputs()) {
    if (!v->shape) throw sinter::ValueError("sinter bench: input '" + v->name + "' has no shape");
    std::vector<int64_t> sz;
    for (auto& d : *v->shape) {
      if (d.is_unknown()) throw sinter::ValueError("sinter bench: input '" + v->name + "' has an unknown dim (" + v->type_str() + ")");
      sz.push_back(d.is_static() ? d.value : batch);
    }
    sinter::Tensor t = sinter::is_floating_point(v->dtype) ? sinter::randn(sz).to(v->dtype)
                                                            : sinter::zeros(sz, sinter::TensorOptions().dtype(v->dtype));
    inputs.push_back(t);
    shapes.push_back(sz);
  }
  for (int i = 0; i < warmup; ++i) s.run(inputs);
  std::vector<double> ms;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < runs; ++i) {
    auto a = std::chrono::steady_clock::now();
    s.run(inputs);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p / 100.0 * ms.size()))]; };
  double p50 = ms[ms.size() / 2], throughput = static_cast<double>(runs * batch) / total_s;
  int64_t peak = s.memory_plan(shapes).peak_bytes;
  int nthreads = sinter::get_num_threads();
  if (json) {
    std::cout << "{\"model\": \"" << std::filesystem::path(argv[2]).stem().string() << "\", \"batch\": " << batch
              << ", \"threads\": " << nthreads << ", \"runs\": " << runs << ", \"fused\": " << rewrites
              << ", \"p50_ms\": " << p50 << ", \"p90_ms\": " << pct(90) << ", \"p99_ms\": " << pct(99)
              << ", \"throughput\": " << throughput << ", \"arena_bytes\": " << peak << "}\n";
    return 0;
  }
  std::cout << "model: " << argv[2] << " (batch " << batch << ", " << nthreads << " threads, " << runs << " runs after "
            << warmup << " warm-up, " << (fuse ? std::to_string(rewrites) + " fusion rewrites" : "not fused") << ")\n"
            << std::fixed << std::setprecision(3) << "latency ms: p50 " << p50 << "  p90 " << pct(90) << "  p99 "
            << pct(99) << "  min " << ms.front() << "\n"
            << std::setprecision(1) << "throughput: " << throughput << " samples/s\n"
            << "arena: " << human(static_cast<double>(peak)) << "B per run\n";
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  try {
    if (cmd == "version" || cmd == "--version") {
      std::cout << "sinter 0.1.0\n";
      return 0;
    }
    if (cmd == "test-onnx") return test_onnx_cmd(argc, argv);
    if (cmd == "inspect") return inspect_cmd(argc, argv);
    if (cmd == "run") return run_cmd(argc, argv);
    if (cmd == "bench") return bench_cmd(argc, argv);
    if (cmd == "ops") {
      auto all = sinter::ops::Registry::get().all();
      for (auto* op : all) {
        std::cout << op->name << "(";
        for (size_t i = 0; i < op->input_names.size(); ++i) std::cout << (i ? ", " : "") << op->input_names[i];
        for (auto& a : op->attr_specs) std::cout << ", " << a.name;
        std::cout << ")";
        if (op->backward) std::cout << " [grad]";
        for (auto& o : op->onnx) std::cout << " onnx:" << o;
        std::cout << "\n";
      }
      std::cout << all.size() << " ops\n";
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "sinter: " << e.what() << "\n";
    return 1;
  }
  return usage();
}
