// Task<T>: the engine's coroutine type, a Boost.Asio awaitable.
//
// Coroutine parameters are taken by value: an awaitable starts when it is awaited, so a
// reference parameter could dangle by then.
#pragma once

#include <utility>  // Boost 1.74's awaitable.hpp needs std::exchange declared first.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>
#include <type_traits>

namespace tierkv {

template <typename T>
using Task = boost::asio::awaitable<T>;

// A move-only, type-erased `void()` callable: holds Asio completion handlers, which are
// move-only and so do not fit in std::function.
class UniqueFunction {
 public:
  UniqueFunction() = default;
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, UniqueFunction>>>
  UniqueFunction(F&& f)  // NOLINT: implicit by design
      : impl_(std::make_unique<Impl<std::decay_t<F>>>(std::forward<F>(f))) {}
  UniqueFunction(UniqueFunction&&) noexcept = default;
  UniqueFunction& operator=(UniqueFunction&&) noexcept = default;

  explicit operator bool() const { return impl_ != nullptr; }
  void operator()() {
    auto impl = std::move(impl_);  // one-shot: the callable may destroy what owns us
    impl->call();
  }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void call() = 0;
  };
  template <typename F>
  struct Impl final : Base {
    explicit Impl(F&& f) : f_(std::move(f)) {}
    explicit Impl(const F& f) : f_(f) {}
    void call() override { f_(); }
    F f_;
  };
  std::unique_ptr<Base> impl_;
};

// Suspends the calling coroutine and hands `register_resume` a one-shot callback that resumes
// it (through the coroutine's executor). The basis of sleep, yield and the async mutex.
//
// REQUIRES (g++ 12 bug, applies to every co_await, not only this one): an argument written as
// a braced aggregate temporary (`f(WalRecord{...})`) or as a lambda expression, directly inside
// a co_await expression, is destroyed once more than it is constructed (checked with an
// instance counter: it ends at -1): a captured shared_ptr is released one time too many, a
// std::string member freed twice. Function-call results, named objects (moved or copied) and
// non-aggregate temporaries are fine. So inside co_await: lambdas passed here or to
// Executor::run_blocking capture only trivially destructible things (pointers, references,
// integers); build aggregates in a named variable first and pass std::move(name).
template <typename Register>
Task<void> suspend_until_resumed(Register register_resume) {
  co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void()>(
      [register_resume = std::move(register_resume)](auto handler) mutable {
        auto executor = boost::asio::get_associated_executor(handler);
        register_resume(UniqueFunction(
            [handler = std::move(handler), executor]() mutable {
              boost::asio::post(executor, std::move(handler));
            }));
      },
      boost::asio::use_awaitable);
}

// Completion handler for spawned coroutines: an exception escaping an engine coroutine is a
// bug, so it propagates out of the event loop instead of vanishing.
struct RethrowOnError {
  void operator()(std::exception_ptr e) const {
    if (e) std::rethrow_exception(e);
  }
};

}  // namespace tierkv
