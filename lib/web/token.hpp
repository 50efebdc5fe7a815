#pragma once
// snitch-web's access token: made at first start, kept in a file only its
// owner can read, and compared in constant time.
#include <string>
#include <string_view>

namespace snitch {

// The token in `path` (one line of hex), created with 32 random bytes and
// mode 0600 (its directory 0700) when missing. Throws when the file can be
// read by anyone else or is not owned by this user, or holds no token.
std::string load_or_create_token(const std::string& path);

// Whether `given` is `token`, in time independent of where they differ.
bool token_matches(std::string_view given, std::string_view token);

} // namespace snitch
