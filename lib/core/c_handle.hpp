#pragma once
#include <memory>
#include <unistd.h>

namespace snitch {

// Owns a C handle from the moment it exists: unique_ptr<T, CFree<free_fn>>.
template <auto Free> struct CFree {
	template <class T> void operator()(T* p) const noexcept
	{
		if (p)
			Free(p);
	}
};

// An owned file descriptor (-1 when empty).
class UniqueFd {
public:
	UniqueFd() = default;
	explicit UniqueFd(int fd) : fd_(fd) {}
	UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
	UniqueFd& operator=(UniqueFd&& o) noexcept
	{
		if (this != &o)
			reset(o.release());
		return *this;
	}
	~UniqueFd() { reset(); }
	int get() const { return fd_; }
	explicit operator bool() const { return fd_ >= 0; }
	int release()
	{
		int fd = fd_;
		fd_ = -1;
		return fd;
	}
	void reset(int fd = -1)
	{
		if (fd_ >= 0)
			::close(fd_);
		fd_ = fd;
	}

private:
	int fd_ = -1;
};

} // namespace snitch
