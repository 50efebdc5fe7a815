#pragma once
// SHA-256 of a whole file through OpenSSL's EVP interface, streamed in
// constant memory.
#include <array>
#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

namespace snitch {

using Sha256Hex = std::array<char, 64>;

inline std::string to_string(const Sha256Hex& h) { return std::string(h.data(), h.size()); }

struct HashTimedOut : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// Reuses one read buffer across files; hashing never loads a file whole.
class Sha256File {
public:
	explicit Sha256File(size_t chunk = 1 << 16) : buf_(chunk) {}
	// Hashes the file open on `fd` from offset 0 (pread: the descriptor's
	// position is left alone). Throws std::runtime_error with the C library's
	// or OpenSSL's words on failure; HashTimedOut once `max_seconds` (> 0) passed
	// (a hostile file must not hold the caller for minutes) or `cancel` is set.
	Sha256Hex hash_fd(int fd, double max_seconds = 0, const std::atomic<bool>* cancel = nullptr);
	// Opens `path` read-only and hashes it.
	Sha256Hex hash_path(const std::string& path);

private:
	std::vector<unsigned char> buf_;
};

} // namespace snitch
