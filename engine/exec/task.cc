// Task frames' allocator, a spawned task's end, UniqueFunction and Executor::spawn.
#include <cassert>
#include <new>

#include "engine/exec/executor.h"
#include "engine/exec/task.h"

#if defined(__SANITIZE_ADDRESS__)
#define TIERKV_PLAIN_FRAMES 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TIERKV_PLAIN_FRAMES 1
#endif
#endif

namespace tierkv {
namespace detail {

#if defined(TIERKV_PLAIN_FRAMES)

void* allocate_frame(size_t bytes) { return ::operator new(bytes); }
void free_frame(void* frame, size_t) noexcept { ::operator delete(frame); }

#else

namespace {

// Free frames by size class (16-byte steps up to kMaxPooledBytes), linked through their first
// word. A frame freed on another thread than it was allocated on simply joins that thread's
// lists. Nothing is returned to malloc before the thread ends: a thread keeps as many frames
// as it once had alive at the same time.
class FramePool {
 public:
  static constexpr size_t kStep = 16;
  static constexpr size_t kMaxPooledBytes = 4096;
  static constexpr size_t kClasses = kMaxPooledBytes / kStep;

  ~FramePool() {
    for (void*& head : free_) {
      while (head != nullptr) ::operator delete(std::exchange(head, *static_cast<void**>(head)));
    }
    gone_ = true;
  }

  void* allocate(size_t bytes) {
    if (bytes > kMaxPooledBytes || gone_) return ::operator new(bytes);
    const size_t index = (bytes - 1) / kStep;
    void*& head = free_[index];
    if (head == nullptr) return ::operator new((index + 1) * kStep);
    return std::exchange(head, *static_cast<void**>(head));
  }

  void free(void* frame, size_t bytes) noexcept {
    if (bytes > kMaxPooledBytes || gone_) {
      ::operator delete(frame);
      return;
    }
    void*& head = free_[(bytes - 1) / kStep];
    *static_cast<void**>(frame) = head;
    head = frame;
  }

 private:
  void* free_[kClasses] = {};
  bool gone_ = false;  // the thread is ending: frames freed from now on go back to malloc
};

thread_local FramePool frame_pool;

}  // namespace

void* allocate_frame(size_t bytes) { return frame_pool.allocate(bytes); }
void free_frame(void* frame, size_t bytes) noexcept { frame_pool.free(frame, bytes); }

#endif

std::coroutine_handle<> PromiseBase::finish_root(PromiseBase& root) noexcept {
  Executor* executor = root.executor;
  std::exception_ptr error = std::move(root.error);
  root.self.destroy();
  if (error && executor != nullptr) executor->escaped_ = std::move(error);
  return std::noop_coroutine();
}

}  // namespace detail

void UniqueFunction::operator()() {
  assert(parked_.root != nullptr);
  const ParkedCoroutine parked = std::exchange(parked_, {});
  parked.executor()->post(parked);
}

void UniqueFunction::discard() noexcept {
  if (parked_.root == nullptr) return;
  const ParkedCoroutine parked = std::exchange(parked_, {});
  parked.executor()->post(ParkedCoroutine{nullptr, parked.root});
}

void Executor::spawn(Task<void> task) {
  auto handle = std::exchange(task.handle_, {});
  assert(handle);
  detail::PromiseBase& root = handle.promise();
  root.root = &root;
  root.executor = this;
  root.epoch = epoch_;
  root.self = handle;
  post(ParkedCoroutine{handle, &root});
}

}  // namespace tierkv
