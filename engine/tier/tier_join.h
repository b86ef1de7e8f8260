// run_both: awaits two tasks running concurrently (the second is spawned on the executor, the
// first runs in the caller), returning both results once both finished.
// Used by TierStore to write primary and backup at the same time.
// run_all: the same for any number of tasks of one type (results in the tasks' order); the
// async mirror reads a batch's keys from primary with it, so they queue for primary together.
// Thread-safety: coroutines of one Executor. If the executor abandons its coroutines (a
// simulated crash) both halves are destroyed together with the shared state.
#pragma once

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "engine/exec/executor.h"
#include "engine/exec/task.h"

namespace tierkv {

template <typename A, typename B>
Task<std::pair<A, B>> run_both(Executor& executor, Task<A> first, Task<B> second) {
  struct Join {
    std::optional<B> second_result;
    UniqueFunction resume;  // set while the caller waits for the second task
  };
  auto join = std::make_shared<Join>();
  executor.spawn([](Task<B> task, std::shared_ptr<Join> j) -> Task<void> {
    j->second_result.emplace(co_await std::move(task));
    if (j->resume) j->resume();
  }(std::move(second), join));
  A first_result = co_await std::move(first);
  if (!join->second_result.has_value()) {
    // A raw pointer (join keeps it alive): g++ 12 may destroy a non-trivial temporary
    // coroutine argument twice, so the callback must be trivially destructible.
    Join* waiting = join.get();
    co_await suspend_until_resumed(
        [waiting](UniqueFunction resume) { waiting->resume = std::move(resume); });
  }
  std::pair<A, B> both(std::move(first_result), std::move(*join->second_result));
  co_return both;
}

template <typename T>
Task<std::vector<T>> run_all(Executor& executor, std::vector<Task<T>> tasks) {
  struct Join {
    std::vector<std::optional<T>> results;
    size_t pending = 0;     // tasks not finished yet
    UniqueFunction resume;  // set while the caller waits for the spawned tasks
  };
  auto join = std::make_shared<Join>();
  join->results.resize(tasks.size());
  join->pending = tasks.size();
  for (size_t i = 1; i < tasks.size(); ++i) {
    executor.spawn([](Task<T> task, std::shared_ptr<Join> j, size_t at) -> Task<void> {
      j->results[at].emplace(co_await std::move(task));
      if (--j->pending == 0 && j->resume) j->resume();
    }(std::move(tasks[i]), join, i));
  }
  if (!tasks.empty()) {
    join->results[0].emplace(co_await std::move(tasks[0]));
    --join->pending;
  }
  if (join->pending != 0) {
    Join* waiting = join.get();  // trivially destructible callback (g++ 12, see run_both)
    co_await suspend_until_resumed(
        [waiting](UniqueFunction resume) { waiting->resume = std::move(resume); });
  }
  std::vector<T> all;
  all.reserve(join->results.size());
  for (std::optional<T>& result : join->results) all.push_back(std::move(*result));
  co_return all;
}

}  // namespace tierkv
