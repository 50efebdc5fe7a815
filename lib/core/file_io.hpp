#pragma once
// Writing files and descriptors whole: the one write-everything loop and the
// one durable replace.
#include <string>
#include <string_view>

namespace snitch {

// Writes all of `data` to `fd`, through short writes and EINTR. Throws
// std::system_error with errno and `what` on failure.
void write_all(int fd, std::string_view data, const std::string& what);

// Replaces `path` by `text` so that a crash leaves the old file or the new one,
// never a mix: a temporary beside it (mode 0600), fsync, rename, fsync of the
// directory. Throws std::system_error naming the step that failed.
void write_file_durably(const std::string& path, std::string_view text);

// Creates `path` (mode 0600, never through a symlink) holding `text`, with
// fsync of the file and of its directory. Returns false, writing nothing,
// when `path` already exists. Throws std::system_error naming the step.
bool create_file_durably(const std::string& path, std::string_view text);

} // namespace snitch
