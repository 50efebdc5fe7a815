#include "web/token.hpp"
#include "core/c_handle.hpp"
#include "core/file_io.hpp"
#include <cerrno>
#include <fcntl.h>
#include <stdexcept>
#include <sys/random.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace snitch {
namespace {

std::string random_hex(size_t bytes)
{
	std::string raw(bytes, '\0');
	for (size_t got = 0; got < bytes;) {
		ssize_t n = getrandom(raw.data() + got, bytes - got, 0);
		if (n < 0 && errno != EINTR)
			throw std::system_error(errno, std::generic_category(), "getrandom");
		got += n > 0 ? static_cast<size_t>(n) : 0;
	}
	static const char digits[] = "0123456789abcdef";
	std::string hex;
	for (unsigned char c : raw) {
		hex += digits[c >> 4];
		hex += digits[c & 15];
	}
	return hex;
}

void make_parent(const std::string& path)
{
	auto slash = path.rfind('/');
	if (slash == std::string::npos || slash == 0)
		return;
	std::string dir = path.substr(0, slash);
	make_parent(dir);
	if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
		throw std::system_error(errno, std::generic_category(), "mkdir " + dir);
}

void write_new(const std::string& path, const std::string& token)
{
	make_parent(path);
	create_file_durably(path, token + "\n");  // false: another start made it first, read that one
}

std::string read_checked(const std::string& path)
{
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		throw std::system_error(errno, std::generic_category(), path);
	UniqueFd owned(fd);
	struct stat st {};
	if (::fstat(fd, &st) != 0)
		throw std::system_error(errno, std::generic_category(), path);
	if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
		throw std::runtime_error(path + ": the token file must be a regular file of this user that no one else can read "
						"(chmod 600, or remove it to make a new token)");
	char buf[256];
	ssize_t n = ::read(fd, buf, sizeof(buf));
	if (n < 0)
		throw std::system_error(errno, std::generic_category(), path);
	std::string token(buf, static_cast<size_t>(n));
	token.erase(token.find_last_not_of(" \t\r\n") + 1);
	if (token.size() < 16 || token.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
		throw std::runtime_error(path + ": no token in it (16 or more hex digits; remove it to make a new one)");
	return token;
}

} // namespace

std::string load_or_create_token(const std::string& path)
{
	struct stat st {};
	if (::lstat(path.c_str(), &st) != 0) {
		if (errno != ENOENT)
			throw std::system_error(errno, std::generic_category(), path);
		write_new(path, random_hex(32));
	}
	return read_checked(path);
}

bool token_matches(std::string_view given, std::string_view token)
{
	if (token.empty())
		return false;
	unsigned char diff = given.size() == token.size() ? 0 : 1;
	for (size_t i = 0; i < given.size(); ++i)
		diff |= static_cast<unsigned char>(given[i] ^ token[i % token.size()]);
	return diff == 0;
}

} // namespace snitch
