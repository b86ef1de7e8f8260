// InlineHandler: a one-shot, move-only `void(std::exception_ptr)` callable stored inline, in a
// fixed buffer: the SimExecutor parks one per suspended coroutine (Asio's awaitable completion
// handler) without a heap allocation.
//
// Promises: holding a callable costs no allocation; a callable that does not fit is a compile
// error (static_assert), never a silent fallback. Destroying a holder that still holds a
// callable destroys the callable without calling it.
// REQUIRES: the holder is not moved while it holds a callable (SimExecutor keeps them in slots
// that never move); call it at most once.
// Thread-safety: none (the simulator's one thread).
#pragma once

#include <cassert>
#include <cstddef>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

namespace tierkv::sim {

class InlineHandler {
 public:
  // Room for Asio 1.74's awaitable handler over any_io_executor (checked where it is stored).
  static constexpr size_t kCapacityBytes = 96;

  InlineHandler() = default;
  InlineHandler(const InlineHandler&) = delete;
  InlineHandler& operator=(const InlineHandler&) = delete;
  ~InlineHandler() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }

  // Stores f. REQUIRES: empty.
  template <typename F>
  void emplace(F&& f) {
    using Stored = std::decay_t<F>;
    static_assert(sizeof(Stored) <= kCapacityBytes, "handler too large for InlineHandler");
    static_assert(alignof(Stored) <= alignof(std::max_align_t), "handler over-aligned");
    assert(ops_ == nullptr);
    ::new (static_cast<void*>(storage_)) Stored(std::forward<F>(f));
    ops_ = &kOps<Stored>;
  }

  // Calls the callable once with error and empties the holder. The callable is moved out
  // first, so it may destroy or refill this holder. REQUIRES: holds a callable.
  void operator()(std::exception_ptr error) {
    assert(ops_ != nullptr);
    const Ops* ops = std::exchange(ops_, nullptr);
    ops->call(storage_, std::move(error));
  }

  // Destroys the callable without calling it.
  void reset() {
    if (ops_ != nullptr) std::exchange(ops_, nullptr)->destroy(storage_);
  }

 private:
  struct Ops {
    void (*call)(void* storage, std::exception_ptr error);  // moves out, destroys, calls
    void (*destroy)(void* storage);
  };
  template <typename F>
  static constexpr Ops kOps = {
      [](void* storage, std::exception_ptr error) {
        F* stored = static_cast<F*>(storage);
        F f = std::move(*stored);
        stored->~F();
        f(std::move(error));
      },
      [](void* storage) { static_cast<F*>(storage)->~F(); },
  };

  alignas(std::max_align_t) unsigned char storage_[kCapacityBytes];
  const Ops* ops_ = nullptr;
};

}  // namespace tierkv::sim
