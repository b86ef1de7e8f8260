// Replay driver for builds without libFuzzer (g++, ctest): runs LLVMFuzzerTestOneInput once on
// every file named on the command line and on every regular file inside every directory named
// there (sorted, so runs are repeatable). A target's oracle aborts on a violated property, so a
// clean exit means every input held.
//
// Usage: <target> PATH...   (a missing directory is skipped with a note: a target may have no
// regression inputs yet; but at least one input must be replayed in total, so a wrong corpus
// path cannot pass silently).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool replay_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::error_code error;
    if (std::filesystem::is_directory(arg, error)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& file : files) {
        if (!replay_file(file)) return 2;
        ++replayed;
      }
    } else if (std::filesystem::is_regular_file(arg, error)) {
      if (!replay_file(arg)) return 2;
      ++replayed;
    } else {
      std::fprintf(stderr, "replay: %s does not exist, skipped\n", arg.c_str());
    }
  }
  std::printf("replay: %zu inputs, all held\n", replayed);
  if (replayed == 0) {
    std::fprintf(stderr, "replay: no input replayed (wrong corpus path?)\n");
    return 2;
  }
  return 0;
}
