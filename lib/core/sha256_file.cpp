#include "core/sha256_file.hpp"
#include "core/c_handle.hpp"
#include "core/clock.hpp"
#include <cerrno>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

namespace snitch {
namespace {

using EvpMdCtx = std::unique_ptr<EVP_MD_CTX, CFree<EVP_MD_CTX_free>>;

[[noreturn]] void throw_openssl(const char* what)
{
	char text[256] = "unknown OpenSSL error";
	if (unsigned long e = ERR_get_error())
		ERR_error_string_n(e, text, sizeof(text));
	ERR_clear_error();
	throw std::runtime_error(std::string(what) + ": " + text);
}

Sha256Hex to_hex(const unsigned char* md, unsigned int len)
{
	static constexpr char digits[] = "0123456789abcdef";
	Sha256Hex hex{};
	for (unsigned int i = 0; i < len && 2 * i + 1 < hex.size(); ++i) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	return hex;
}

} // namespace

Sha256Hex Sha256File::hash_fd(int fd, double max_seconds, const std::atomic<bool>* cancel)
{
	double deadline = max_seconds > 0 ? monotonic_now() + max_seconds : 0;
	EvpMdCtx ctx(EVP_MD_CTX_new());
	if (!ctx)
		throw_openssl("EVP_MD_CTX_new");
	if (EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
		throw_openssl("EVP_DigestInit_ex");
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (off_t off = 0;;) {
		ssize_t n = ::pread(fd, buf_.data(), buf_.size(), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw std::system_error(errno, std::generic_category(), "read");
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx.get(), buf_.data(), static_cast<size_t>(n)) != 1)
			throw_openssl("EVP_DigestUpdate");
		off += n;
		if (cancel && *cancel)
			throw HashTimedOut("cancelled");
		if (deadline && monotonic_now() > deadline)
			throw HashTimedOut("gave up after " + seconds_text(max_seconds) + ", " + std::to_string(off) + " bytes read");
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(ctx.get(), md, &len) != 1)
		throw_openssl("EVP_DigestFinal_ex");
	return to_hex(md, len);
}

Sha256Hex Sha256File::hash_path(const std::string& path)
{
	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		throw std::system_error(errno, std::generic_category(), path);
	return hash_fd(fd.get());
}

} // namespace snitch
