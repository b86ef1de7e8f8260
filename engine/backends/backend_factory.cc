#include "engine/backends/backend_factory.h"

#include "engine/backends/leveldb_backend.h"
#include "engine/backends/lmdb_backend.h"
#include "engine/backends/memory_backend.h"
#include "engine/backends/sqlite_backend.h"

namespace tierkv {

const std::vector<std::string>& backend_names() {
  static const std::vector<std::string> names = {"memory", "leveldb", "sqlite", "lmdb"};
  return names;
}

Result<std::unique_ptr<Backend>> open_backend(std::string_view name,
                                              const BackendOptions& options) {
  if (name == "memory") {
    TIERKV_ASSIGN_OR_RETURN(auto backend, MemoryBackend::open(options));
    return std::unique_ptr<Backend>(std::move(backend));
  }
  if (name == "leveldb") {
    TIERKV_ASSIGN_OR_RETURN(auto backend, LevelDbBackend::open(options));
    return std::unique_ptr<Backend>(std::move(backend));
  }
  if (name == "sqlite") {
    TIERKV_ASSIGN_OR_RETURN(auto backend, SqliteBackend::open(options));
    return std::unique_ptr<Backend>(std::move(backend));
  }
  if (name == "lmdb") {
    TIERKV_ASSIGN_OR_RETURN(auto backend, LmdbBackend::open(options));
    return std::unique_ptr<Backend>(std::move(backend));
  }
  std::string known;
  for (const std::string& n : backend_names()) known += (known.empty() ? "" : ", ") + n;
  return Status::invalid_argument("unknown backend '" + std::string(name) + "'; known: " + known);
}

}  // namespace tierkv
