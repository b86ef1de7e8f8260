#include "sim/runtime/sim_file.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace tierkv::sim {
namespace {

class SimFile final : public File {
 public:
  SimFile(SimEnv* env, std::shared_ptr<SimEnv::Epoch> epoch, std::shared_ptr<SimInode> inode,
          std::string path, bool read_only)
      : env_(env),
        epoch_(std::move(epoch)),
        inode_(std::move(inode)),
        path_(std::move(path)),
        read_only_(read_only) {}

  Status append(std::string_view data) override {
    TIERKV_RETURN_IF_ERROR(check(/*write=*/true));
    TIERKV_RETURN_IF_ERROR(env_->begin_op(
        {SimOpKind::kAppend, path_, {}, inode_->data().size(), data.size(), true}));
    inode_->append(data);
    return Status();
  }

  Status write_at(uint64_t offset, std::string_view data) override {
    TIERKV_RETURN_IF_ERROR(check(/*write=*/true));
    TIERKV_RETURN_IF_ERROR(
        env_->begin_op({SimOpKind::kWriteAt, path_, {}, offset, data.size(), true}));
    inode_->write_at(offset, data);
    return Status();
  }

  Result<size_t> read_at(uint64_t offset, size_t n, char* scratch) override {
    TIERKV_RETURN_IF_ERROR(check(/*write=*/false));
    TIERKV_RETURN_IF_ERROR(env_->begin_op({SimOpKind::kRead, path_, {}, offset, n, false}));
    const std::string& data = inode_->data();
    if (offset >= data.size()) return size_t{0};
    const size_t count = static_cast<size_t>(std::min<uint64_t>(n, data.size() - offset));
    std::memcpy(scratch, data.data() + offset, count);
    return count;
  }

  Status sync() override {
    TIERKV_RETURN_IF_ERROR(check(/*write=*/false));
    TIERKV_RETURN_IF_ERROR(
        env_->begin_op({SimOpKind::kSync, path_, {}, 0, inode_->data().size(), true}));
    inode_->sync();
    return Status();
  }

  Status truncate(uint64_t size_bytes) override {
    TIERKV_RETURN_IF_ERROR(check(/*write=*/true));
    TIERKV_RETURN_IF_ERROR(
        env_->begin_op({SimOpKind::kTruncate, path_, {}, size_bytes, 0, true}));
    inode_->truncate(size_bytes);
    return Status();
  }

  Result<uint64_t> size() override {
    TIERKV_RETURN_IF_ERROR(check(/*write=*/false));
    TIERKV_RETURN_IF_ERROR(env_->begin_op({SimOpKind::kSize, path_, {}, 0, 0, false}));
    return static_cast<uint64_t>(inode_->data().size());
  }

  Status close() override {
    TIERKV_RETURN_IF_ERROR(check(/*write=*/false));
    TIERKV_RETURN_IF_ERROR(env_->begin_op({SimOpKind::kClose, path_, {}, 0, 0, false}));
    closed_ = true;
    return Status();
  }

  const std::string& path() const override { return path_; }

 private:
  Status check(bool write) const {
    if (closed_) return Status::io_error("file " + path_ + " is closed");
    if (!epoch_->alive) {
      return Status::io_error("file " + path_ + " was opened before a simulated crash");
    }
    if (write && read_only_) return Status::invalid_argument("file " + path_ + " is read-only");
    return Status();
  }

  SimEnv* env_;  // valid while epoch_->alive
  std::shared_ptr<SimEnv::Epoch> epoch_;
  std::shared_ptr<SimInode> inode_;
  std::string path_;
  bool read_only_;
  bool closed_ = false;
};

class SimFileLock final : public FileLock {
 public:
  SimFileLock(std::shared_ptr<SimEnv::Epoch> epoch, std::string canonical_path)
      : epoch_(std::move(epoch)), canonical_path_(std::move(canonical_path)) {
    assert(epoch_->locked_paths.count(canonical_path_) == 1);
  }
  ~SimFileLock() override {
    if (epoch_->alive) epoch_->locked_paths.erase(canonical_path_);
  }

 private:
  std::shared_ptr<SimEnv::Epoch> epoch_;
  std::string canonical_path_;
};

}  // namespace

std::unique_ptr<File> make_sim_file(SimEnv* env, std::shared_ptr<SimEnv::Epoch> epoch,
                                    std::shared_ptr<SimInode> inode, std::string path,
                                    bool read_only) {
  return std::make_unique<SimFile>(env, std::move(epoch), std::move(inode), std::move(path),
                                   read_only);
}

std::unique_ptr<FileLock> make_sim_file_lock(std::shared_ptr<SimEnv::Epoch> epoch,
                                             std::string canonical_path) {
  return std::make_unique<SimFileLock>(std::move(epoch), std::move(canonical_path));
}

}  // namespace tierkv::sim
