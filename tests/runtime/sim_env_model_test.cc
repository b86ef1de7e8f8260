// A RapidCheck stateful test (rc::state) of SimEnv's durability semantics against a small
// model: one directory, files by name, every Env mutation plus sync, sync_dir and crash.
// With keep_unsynced_dir_ops and torn writes off the model predicts every crash exactly.
// RC_PARAMS="max_success=N" runs more sequences; failures print a reproduce string.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <map>

#include "engine/io/env_util.h"
#include "sim/runtime/sim_env.h"

namespace tierkv::sim {
namespace {

struct ModelInode {
  std::string data;
  std::string durable;
};

struct EnvModel {
  std::map<int, ModelInode> inodes;
  std::map<std::string, int> names;          // volatile entries: path -> inode
  std::map<std::string, int> durable_names;  // durable entries
  int next_inode = 0;
};

struct EnvSut {
  explicit EnvSut(uint64_t seed) : prng(seed), env(prng, trace, options()) {}
  static SimEnvOptions options() {
    SimEnvOptions out;
    out.keep_unsynced_dir_ops = false;
    return out;
  }
  Prng prng;
  TraceHash trace;
  SimEnv env;
};

using Command = rc::state::Command<EnvModel, EnvSut>;

std::string gen_path() { return "/" + *rc::gen::element<std::string>("a", "b", "c"); }

// After every command: the SUT's volatile and durable views equal the model's.
void check_views(const EnvModel& model, EnvSut& sut) {
  auto listing = sut.env.list_dir("/");
  RC_ASSERT(listing.ok());
  std::vector<std::string> expected;
  for (const auto& [path, inode] : model.names) expected.push_back(path.substr(1));
  RC_ASSERT(*listing == expected);
  for (const auto& [path, inode] : model.names) {
    auto data = read_file_to_string(sut.env, path);
    RC_ASSERT(data.ok());
    RC_ASSERT(*data == model.inodes.at(inode).data);
  }
  for (const std::string path : {"/a", "/b", "/c"}) {
    auto durable = sut.env.durable_file_content(path);
    auto it = model.durable_names.find(path);
    RC_ASSERT(durable.ok() == (it != model.durable_names.end()));
    if (durable.ok()) RC_ASSERT(*durable == model.inodes.at(it->second).durable);
  }
}

std::unique_ptr<File> open_existing(EnvSut& sut, const std::string& path) {
  auto file = sut.env.open_file(path, OpenMode::kReadWrite);
  RC_ASSERT(file.ok());
  return std::move(*file);
}

struct Create : Command {
  std::string path = gen_path();
  void apply(EnvModel& m) const override {
    if (m.names.count(path) != 0) return;
    m.inodes[m.next_inode] = ModelInode{};
    m.names[path] = m.next_inode++;
  }
  void run(const EnvModel& m, EnvSut& sut) const override {
    RC_ASSERT(sut.env.open_file(path, OpenMode::kCreate).ok());
    EnvModel next = m;
    apply(next);
    check_views(next, sut);
  }
  void show(std::ostream& os) const override { os << "create " << path; }
};

struct Write : Command {
  std::string path = gen_path();
  bool append = *rc::gen::arbitrary<bool>();
  uint64_t offset = *rc::gen::inRange<uint64_t>(0, 40);
  std::string bytes = *rc::gen::container<std::string>(rc::gen::inRange('a', 'z'));
  void checkPreconditions(const EnvModel& m) const override { RC_PRE(m.names.count(path) == 1u); }
  void apply(EnvModel& m) const override {
    std::string& data = m.inodes.at(m.names.at(path)).data;
    const uint64_t at = append ? data.size() : offset;
    if (at + bytes.size() > data.size()) data.resize(at + bytes.size(), '\0');
    data.replace(at, bytes.size(), bytes);
  }
  void run(const EnvModel& m, EnvSut& sut) const override {
    auto file = open_existing(sut, path);
    RC_ASSERT((append ? file->append(bytes) : file->write_at(offset, bytes)).ok());
    EnvModel next = m;
    apply(next);
    check_views(next, sut);
  }
  void show(std::ostream& os) const override {
    os << (append ? "append " : "write_at ") << path << " @" << offset << " " << bytes.size();
  }
};

struct Truncate : Command {
  std::string path = gen_path();
  uint64_t size_bytes = *rc::gen::inRange<uint64_t>(0, 60);
  void checkPreconditions(const EnvModel& m) const override { RC_PRE(m.names.count(path) == 1u); }
  void apply(EnvModel& m) const override {
    m.inodes.at(m.names.at(path)).data.resize(size_bytes, '\0');
  }
  void run(const EnvModel& m, EnvSut& sut) const override {
    RC_ASSERT(open_existing(sut, path)->truncate(size_bytes).ok());
    EnvModel next = m;
    apply(next);
    check_views(next, sut);
  }
  void show(std::ostream& os) const override { os << "truncate " << path << " " << size_bytes; }
};

struct Sync : Command {
  std::string path = gen_path();
  void checkPreconditions(const EnvModel& m) const override { RC_PRE(m.names.count(path) == 1u); }
  void apply(EnvModel& m) const override {
    ModelInode& inode = m.inodes.at(m.names.at(path));
    inode.durable = inode.data;
  }
  void run(const EnvModel& m, EnvSut& sut) const override {
    RC_ASSERT(open_existing(sut, path)->sync().ok());
    EnvModel next = m;
    apply(next);
    check_views(next, sut);
  }
  void show(std::ostream& os) const override { os << "sync " << path; }
};

struct SyncDir : Command {
  void apply(EnvModel& m) const override { m.durable_names = m.names; }
  void run(const EnvModel& m, EnvSut& sut) const override {
    RC_ASSERT(sut.env.sync_dir("/").ok());
    EnvModel next = m;
    apply(next);
    check_views(next, sut);
  }
  void show(std::ostream& os) const override { os << "sync_dir /"; }
};

// kind 0: rename, 1: link, 2: remove.
struct Namespace : Command {
  int kind = *rc::gen::inRange(0, 3);
  std::string from = gen_path();
  std::string to = gen_path();
  void checkPreconditions(const EnvModel& m) const override {
    RC_PRE(m.names.count(from) == 1u);
    if (kind == 1) RC_PRE(m.names.count(to) == 0u);
  }
  void apply(EnvModel& m) const override {
    const int inode = m.names.at(from);
    auto target = m.names.find(to);
    if (kind == 0 && target != m.names.end() && target->second == inode) return;  // POSIX
    if (kind != 2) m.names[to] = inode;
    if (kind == 2 || (kind == 0 && from != to)) m.names.erase(from);
  }
  void run(const EnvModel& m, EnvSut& sut) const override {
    const Status status = kind == 0   ? sut.env.rename(from, to)
                          : kind == 1 ? sut.env.link(from, to)
                                      : sut.env.remove_file(from);
    RC_ASSERT(status.ok());
    EnvModel next = m;
    apply(next);
    check_views(next, sut);
  }
  void show(std::ostream& os) const override {
    os << (kind == 0 ? "rename " : kind == 1 ? "link " : "remove ") << from << " " << to;
  }
};

struct Crash : Command {
  void apply(EnvModel& m) const override {
    m.names = m.durable_names;
    for (auto& [id, inode] : m.inodes) inode.data = inode.durable;
  }
  void run(const EnvModel& m, EnvSut& sut) const override {
    sut.env.crash();
    EnvModel next = m;
    apply(next);
    check_views(next, sut);
  }
  void show(std::ostream& os) const override { os << "crash"; }
};

RC_GTEST_PROP(SimEnvModel, DurabilityMatchesTheModel, ()) {
  EnvSut sut(*rc::gen::arbitrary<uint64_t>());
  rc::state::check(EnvModel{}, sut,
                   rc::state::gen::execOneOfWithArgs<Create, Write, Truncate, Sync, SyncDir,
                                                     Namespace, Crash>());
}

}  // namespace
}  // namespace tierkv::sim
