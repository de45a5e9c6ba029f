// The `sinter` command-line program.
#include <cstring>
#include <iostream>
#include <string>

#include "sinter/sinter.h"

// The registry lives in the library's internal headers; the CLI lists it through them.
#include "ops/registry.h"

static int usage() {
  std::cerr << "usage: sinter <command>\n"
               "  ops        list every op in the registry (name, inputs, attributes, ONNX names)\n"
               "  version    print the version\n";
  return 2;
}

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  try {
    if (cmd == "version" || cmd == "--version") {
      std::cout << "sinter 0.1.0\n";
      return 0;
    }
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
