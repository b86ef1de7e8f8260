// Task frames' allocator, a spawned task's end, UniqueFunction and Executor::spawn.
#include <cassert>
#include <new>

#include "engine/exec/executor.h"
#include "engine/exec/task.h"

namespace tierkv {
namespace detail {

namespace {

// Returns the thread's pooled frames to malloc when the thread ends. Constructed (and its
// destructor registered) with the thread's first frame.
struct FramePoolCleanup {
  ~FramePoolCleanup() {
    for (void*& head : frame_pool.heads) {
      while (head != nullptr) ::operator delete(std::exchange(head, *static_cast<void**>(head)));
    }
    frame_pool.state = FramePool::State::kGone;
  }
  void start() { frame_pool.state = FramePool::State::kRunning; }
};

thread_local FramePoolCleanup frame_pool_cleanup;

bool pooled(size_t bytes) {
  if (frame_pool.state == FramePool::State::kUnused) frame_pool_cleanup.start();
  return frame_pool.state == FramePool::State::kRunning && bytes <= FramePool::kMaxPooledBytes;
}

}  // namespace

void* allocate_frame_slow(size_t bytes) {
  if (!pooled(bytes)) return ::operator new(bytes);
  // The class's list is empty: a new frame of the class's full size, so any frame of the
  // class can reuse it.
  return ::operator new((FramePool::class_of(bytes) + 1) * FramePool::kStep);
}

void free_frame_slow(void* frame, size_t bytes) noexcept {
  if (!pooled(bytes)) {
    ::operator delete(frame);
    return;
  }
  free_frame(frame, bytes);  // the pool runs now: the inline path takes it
}

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
