// Helpers over Env that several layers share: whole-file reads and atomic replacement.
#pragma once

#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "engine/io/env.h"

namespace tierkv {

// "a/b" + "c" -> "a/b/c".
std::string join_path(std::string_view dir, std::string_view name);

// The directory part of path ("a/b/c" -> "a/b"; "c" -> ".").
std::string parent_dir(std::string_view path);

Result<std::string> read_file_to_string(Env& env, const std::string& path);

// Writes data to path durably and atomically: path + ".tmp", sync, rename over path, sync_dir.
// After a crash, path holds the old contents or the new ones, never a mix.
Status write_file_atomically(Env& env, const std::string& path, std::string_view data);

// Removes a directory and everything below it (files and subdirectories). OK if missing.
// Not durable by itself: sync_dir the parent afterwards.
Status remove_dir_recursive(Env& env, const std::string& path);

// Creates every missing directory on the way to path (like mkdir -p) and syncs each parent
// whose entry was created.
Status create_dirs_durably(Env& env, const std::string& path);

}  // namespace tierkv
