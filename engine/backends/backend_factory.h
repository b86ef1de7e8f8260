// Opens a backend by name: "memory", "leveldb", "lmdb", "sqlite". The names the simulator's
// --backend flag and scenario configs accept.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/backends/backend.h"

namespace tierkv {

// The names open_backend accepts, in a fixed order.
const std::vector<std::string>& backend_names();

// InvalidArgument naming the accepted names if `name` is unknown.
Result<std::unique_ptr<Backend>> open_backend(std::string_view name, const BackendOptions& options);

}  // namespace tierkv
