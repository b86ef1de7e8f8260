#include "engine/io/env_util.h"

namespace tierkv {

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string parent_dir(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

Result<std::string> read_file_to_string(Env& env, const std::string& path) {
  TIERKV_ASSIGN_OR_RETURN(auto file, env.open_file(path, OpenMode::kReadOnly));
  TIERKV_ASSIGN_OR_RETURN(uint64_t size, file->size());
  std::string data(size, '\0');
  uint64_t done = 0;
  while (done < size) {
    TIERKV_ASSIGN_OR_RETURN(size_t n, file->read_at(done, size - done, data.data() + done));
    if (n == 0) break;
    done += n;
  }
  data.resize(done);
  return data;
}

Status write_file_atomically(Env& env, const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  {
    TIERKV_ASSIGN_OR_RETURN(auto file, env.open_file(tmp, OpenMode::kCreateTruncate));
    TIERKV_RETURN_IF_ERROR(file->append(data));
    TIERKV_RETURN_IF_ERROR(file->sync());
    TIERKV_RETURN_IF_ERROR(file->close());
  }
  TIERKV_RETURN_IF_ERROR(env.rename(tmp, path));
  return env.sync_dir(parent_dir(path));
}

Status remove_dir_recursive(Env& env, const std::string& path) {
  if (!env.dir_exists(path)) return Status();
  TIERKV_ASSIGN_OR_RETURN(auto names, env.list_dir(path));
  for (const std::string& name : names) {
    const std::string child = join_path(path, name);
    if (env.dir_exists(child)) {
      TIERKV_RETURN_IF_ERROR(remove_dir_recursive(env, child));
    } else {
      TIERKV_RETURN_IF_ERROR(env.remove_file(child));
    }
  }
  return env.remove_dir(path);
}

Status create_dirs_durably(Env& env, const std::string& path) {
  if (path.empty() || path == "." || path == "/" || env.dir_exists(path)) return Status();
  const std::string parent = parent_dir(path);
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(env, parent));
  TIERKV_RETURN_IF_ERROR(env.create_dir(path));
  return env.sync_dir(parent);
}

}  // namespace tierkv
