// Task<T>: the engine's coroutine type.
//
// - Lazily started: calling a coroutine returning Task<T> allocates its frame and runs nothing;
//   the body starts when the task is awaited (or spawned on an Executor, see executor.h).
// - Awaiting runs the callee at once on the same thread, no scheduler hop. A callee that
//   finishes without suspending returns straight into its caller's await_suspend, which then
//   does not suspend the caller: a loop awaiting a million such tasks keeps a flat stack even
//   where the compiler does not turn symmetric transfer into a tail call (g++ at -O0). A
//   callee that suspended and finishes later, resumed from the loop, transfers straight to
//   its caller.
// - An exception escaping the callee is rethrown in its caller at the co_await.
// - Move-only. Destroying a Task destroys its frame (and, through the frame's locals, every
//   task it is awaiting): a chain of awaiting coroutines is owned by its outermost task.
// - Frames come from a per-thread free list of size classes (promise operator new/delete), so
//   a call costs no malloc once a thread has warmed up (plain operator new under ASan, so use
//   after free stays visible).
//
// Coroutine parameters are taken by value: a task starts when it is awaited, so a reference
// parameter could dangle by then.
//
// A chain of awaiting tasks started by Executor::spawn is a unit: its outermost (root) task
// records the executor and is what is destroyed when a suspended chain is abandoned. Whoever
// holds a suspended chain's resumption (a timer, a ready queue, a UniqueFunction in a waiter
// list) owns the whole chain.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace tierkv {

class Executor;

template <typename T>
class Task;

namespace detail {

// Frame memory: per-thread free lists by size class (see the header comment), 16-byte steps up
// to kMaxPooledBytes, linked through their first word. A frame freed on another thread than it
// was allocated on simply joins that thread's lists. Nothing is returned to malloc before the
// thread ends: a thread keeps as many frames as it once had alive at the same time. The lists
// are a constant-initialised, trivially destructible thread-local, so taking or returning a
// pooled frame is a few inline instructions; the first frame of a thread, an empty list, a
// large frame and a thread that is ending go through the out-of-line *_slow functions.
struct FramePool {
  static constexpr size_t kStep = 16;
  static constexpr size_t kMaxPooledBytes = 4096;
  static constexpr size_t kClasses = kMaxPooledBytes / kStep;
  // kUnused until the thread's first frame; kGone once its thread-exit clean-up returned the
  // lists to malloc (frames then come from, and go back to, malloc directly).
  enum class State : unsigned char { kUnused, kRunning, kGone };

  static size_t class_of(size_t bytes) { return (bytes - 1) / kStep; }

  State state = State::kUnused;
  void* heads[kClasses] = {};  // each class's list of free frames
};
inline constinit thread_local FramePool frame_pool;

void* allocate_frame_slow(size_t bytes);
void free_frame_slow(void* frame, size_t bytes) noexcept;

#if defined(__SANITIZE_ADDRESS__)
#define TIERKV_PLAIN_FRAMES 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TIERKV_PLAIN_FRAMES 1
#endif
#endif

inline void* allocate_frame(size_t bytes) {
#if defined(TIERKV_PLAIN_FRAMES)
  return ::operator new(bytes);  // under ASan: every frame from malloc, use after free visible
#else
  FramePool& pool = frame_pool;
  if (pool.state == FramePool::State::kRunning && bytes <= FramePool::kMaxPooledBytes) {
    void*& head = pool.heads[FramePool::class_of(bytes)];
    if (head != nullptr) return std::exchange(head, *static_cast<void**>(head));
  }
  return allocate_frame_slow(bytes);
#endif
}

inline void free_frame(void* frame, [[maybe_unused]] size_t bytes) noexcept {
#if defined(TIERKV_PLAIN_FRAMES)
  ::operator delete(frame);
#else
  FramePool& pool = frame_pool;
  if (pool.state == FramePool::State::kRunning && bytes <= FramePool::kMaxPooledBytes) {
    void*& head = pool.heads[FramePool::class_of(bytes)];
    *static_cast<void**>(frame) = head;
    head = frame;
    return;
  }
  free_frame_slow(frame, bytes);
#endif
}

struct PromiseBase {
  // Set by the first co_await of the task; null for a root (spawned) task.
  std::coroutine_handle<> continuation;
  // The chain's root task's promise (the task itself for a root); set when started.
  PromiseBase* root = nullptr;
  // Meaningful on a root only: where the chain runs, when it was spawned (see
  // Executor::spawn), and its own handle (destroying it destroys the whole chain).
  Executor* executor = nullptr;
  uint64_t epoch = 0;
  std::coroutine_handle<> self;
  std::exception_ptr error;
  // True while the caller is inside Task::await_suspend, waiting for this task's first run.
  bool caller_waits_inline = false;

  static void* operator new(size_t bytes) { return allocate_frame(bytes); }
  static void operator delete(void* frame, size_t bytes) noexcept { free_frame(frame, bytes); }

  std::suspend_always initial_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> finished) noexcept {
      PromiseBase& promise = finished.promise();
      if (!promise.continuation) return finish_root(promise);
      // Finished within the caller's await_suspend: return there (it sees done()).
      if (promise.caller_waits_inline) return std::noop_coroutine();
      return promise.continuation;
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  // A spawned task finished: frees its frame and hands an escaped exception to its executor.
  static std::coroutine_handle<> finish_root(PromiseBase& root) noexcept;
};

template <typename T>
struct TaskPromise final : PromiseBase {
  Task<T> get_return_object() noexcept;
  template <typename V>
  void return_value(V&& v) {
    value.emplace(std::forward<V>(v));
  }
  T result() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
  std::optional<T> value;
};

template <>
struct TaskPromise<void> final : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void result() {
    if (error) std::rethrow_exception(error);
  }
};

}  // namespace detail

template <typename T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;

  Task() = default;  // holds nothing
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  // Awaiting: this task runs until it finishes or suspends itself; the caller suspends only
  // in the second case (see the header comment).
  bool await_ready() const noexcept { return false; }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> caller) {
    promise_type& promise = handle_.promise();
    promise.continuation = caller;
    promise.root = caller.promise().root;
    promise.caller_waits_inline = true;
    handle_.resume();
    if (handle_.done()) return false;
    promise.caller_waits_inline = false;  // it suspended: its end resumes the caller
    return true;
  }
  T await_resume() { return handle_.promise().result(); }

 private:
  friend struct detail::TaskPromise<T>;
  friend class Executor;
  explicit Task(std::coroutine_handle<promise_type> handle) : handle_(handle) {}

  std::coroutine_handle<promise_type> handle_;
};

namespace detail {
template <typename T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<TaskPromise<T>>::from_promise(*this));
}
inline Task<void> TaskPromise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<TaskPromise<void>>::from_promise(*this));
}
}  // namespace detail

// A suspended chain of tasks: the innermost suspended coroutine and the chain's root. An
// executor either resumes it (leaf set) or destroys the whole chain (leaf null: a discard).
struct ParkedCoroutine {
  std::coroutine_handle<> leaf;
  detail::PromiseBase* root = nullptr;

  template <typename P>
  static ParkedCoroutine of(std::coroutine_handle<P> suspended) {
    return ParkedCoroutine{suspended, suspended.promise().root};
  }
  Executor* executor() const { return root->executor; }
  uint64_t epoch() const { return root->epoch; }
  void resume() const { leaf.resume(); }
  // Destroys every frame of the chain (from the root down), resuming none.
  void destroy() const { root->self.destroy(); }
};

// A one-shot, move-only `void()` callable that resumes one suspended chain of tasks: calling it
// schedules the chain on its executor (never runs it inline, so the caller's code finishes
// first). Destroying it uncalled abandons the chain: the executor destroys its frames later
// (on its loop, or at SimExecutor::shutdown), never inside this destructor. Holds two
// pointers, no allocation.
class UniqueFunction {
 public:
  UniqueFunction() = default;
  explicit UniqueFunction(ParkedCoroutine parked) : parked_(parked) {}
  UniqueFunction(UniqueFunction&& other) noexcept : parked_(std::exchange(other.parked_, {})) {}
  UniqueFunction& operator=(UniqueFunction&& other) noexcept {
    if (this != &other) {
      discard();
      parked_ = std::exchange(other.parked_, {});
    }
    return *this;
  }
  UniqueFunction(const UniqueFunction&) = delete;
  UniqueFunction& operator=(const UniqueFunction&) = delete;
  ~UniqueFunction() { discard(); }

  explicit operator bool() const { return parked_.root != nullptr; }
  // REQUIRES: holds a chain. Empties the holder.
  void operator()();

 private:
  void discard() noexcept;
  ParkedCoroutine parked_;
};

// Suspends the calling coroutine and hands `register_resume` a one-shot callback that resumes
// it (through the coroutine's executor). The basis of yield and the async mutex. Not a
// coroutine itself: awaiting it costs no frame.
//
// REQUIRES (g++ 12 bug, applies to every co_await, not only this one): an argument written as
// a braced aggregate temporary (`f(WalRecord{...})`), as a lambda expression, or as a
// conditional expression (`f(c ? a : b)` with class-type operands), directly inside a co_await
// expression, is destroyed once more than it is constructed (checked with an instance counter:
// it ends at -1): a captured shared_ptr is released one time too many, a std::string member
// freed twice. Function-call results, named objects (moved or copied) and non-aggregate
// temporaries are fine. So inside co_await: lambdas passed here or to Executor::run_blocking
// capture only trivially destructible things (pointers, references, integers); build
// aggregates and conditional values in a named variable first and pass std::move(name).
template <typename Register>
class [[nodiscard]] ResumeAwaiter {
 public:
  explicit ResumeAwaiter(Register register_resume) : register_(std::move(register_resume)) {}
  bool await_ready() const noexcept { return false; }
  template <typename P>
  void await_suspend(std::coroutine_handle<P> caller) {
    register_(UniqueFunction(ParkedCoroutine::of(caller)));
  }
  void await_resume() const noexcept {}

 private:
  Register register_;
};

template <typename Register>
ResumeAwaiter<Register> suspend_until_resumed(Register register_resume) {
  return ResumeAwaiter<Register>(std::move(register_resume));
}

}  // namespace tierkv
