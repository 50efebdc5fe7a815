#include "vt/api.hpp"
#include <unistd.h>
#include <stdexcept>

namespace snitch {
namespace {

using CurlSlist = std::unique_ptr<curl_slist, CFree<curl_slist_free_all>>;
using CurlMime = std::unique_ptr<curl_mime, CFree<curl_mime_free>>;

constexpr size_t max_body = 16 << 20;  // a VT report is a few hundred kB at most

size_t on_body(char* data, size_t size, size_t n, void* user)
{
	auto* body = static_cast<std::string*>(user);
	if (body->size() + size * n > max_body)
		return 0;  // aborts the transfer: CURLE_WRITE_ERROR
	body->append(data, size * n);
	return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
	return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

void append_header(CurlSlist& list, const std::string& line)
{
	curl_slist* grown = curl_slist_append(list.get(), line.c_str());
	if (!grown)
		throw std::runtime_error("curl_slist_append: out of memory");
	list.release();
	list.reset(grown);
}

} // namespace

CurlGlobal::CurlGlobal()
{
	if (CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK)
		throw std::runtime_error(std::string("curl_global_init: ") + curl_easy_strerror(rc));
}

VtApi::VtApi(std::string api_url, std::string key, std::string ca_file, const std::atomic<bool>& cancel)
	: base_(std::move(api_url)), key_(std::move(key)), ca_file_(std::move(ca_file)), cancel_(cancel),
	  curl_(curl_easy_init())
{
	while (!base_.empty() && base_.back() == '/')
		base_.pop_back();
	if (!curl_)
		throw std::runtime_error("curl_easy_init failed");
}

template <class T> void VtApi::set(CURLoption opt, T value)
{
	CURLcode rc = curl_easy_setopt(curl_.get(), opt, value);
	if (rc != CURLE_OK)
		throw std::runtime_error(std::string("curl_easy_setopt: ") + curl_easy_strerror(rc));
}

HttpReply VtApi::get(const std::string& url)
{
	return perform(url, nullptr);
}

namespace {

// The upload's body comes from the descriptor that was hashed: nothing is
// opened by name again between the check and the send.
struct FdSource {
	int fd;
	curl_off_t off = 0;
};

size_t read_fd(char* buf, size_t size, size_t nitems, void* arg)
{
	auto* src = static_cast<FdSource*>(arg);
	ssize_t n = ::pread(src->fd, buf, size * nitems, src->off);
	if (n < 0)
		return CURL_READFUNC_ABORT;
	src->off += n;
	return static_cast<size_t>(n);
}

int seek_fd(void* arg, curl_off_t offset, int origin)
{
	if (origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	static_cast<FdSource*>(arg)->off = offset;
	return CURL_SEEKFUNC_OK;
}

} // namespace

HttpReply VtApi::post_file(const std::string& url, int fd, long long size, const std::string& name)
{
	CurlMime form(curl_mime_init(curl_.get()));
	if (!form)
		throw std::runtime_error("curl_mime_init failed");
	curl_mimepart* part = curl_mime_addpart(form.get());
	if (!part)
		throw std::runtime_error("curl_mime_addpart failed");
	FdSource src{fd};
	CURLcode rc = curl_mime_name(part, "file");
	if (rc == CURLE_OK)
		rc = curl_mime_filename(part, name.c_str());
	if (rc == CURLE_OK)
		rc = curl_mime_data_cb(part, size, read_fd, seek_fd, nullptr, &src);
	if (rc != CURLE_OK)
		return {0, "", "cannot send " + name + ": " + curl_easy_strerror(rc)};
	return perform(url, form.get());
}

HttpReply VtApi::perform(const std::string& url, curl_mime* form)
{
	curl_easy_reset(curl_.get());
	CurlSlist headers;
	append_header(headers, "x-apikey: " + key_);
	append_header(headers, "accept: application/json");
	body_.clear();
	errbuf_[0] = '\0';
	set(CURLOPT_URL, url.c_str());
	set(CURLOPT_PROTOCOLS_STR, "http,https");
	set(CURLOPT_SSL_VERIFYPEER, 1L);
	set(CURLOPT_SSL_VERIFYHOST, 2L);
	if (!ca_file_.empty())
		set(CURLOPT_CAINFO, ca_file_.c_str());
	set(CURLOPT_NOSIGNAL, 1L);
	set(CURLOPT_CONNECTTIMEOUT, 30L);
	set(CURLOPT_LOW_SPEED_LIMIT, 1L);  // give up after a minute without progress
	set(CURLOPT_LOW_SPEED_TIME, 60L);
	set(CURLOPT_USERAGENT, "snitch-vt/" SNITCH_VERSION);
	set(CURLOPT_HTTPHEADER, headers.get());
	set(CURLOPT_ERRORBUFFER, errbuf_);
	set(CURLOPT_WRITEFUNCTION, on_body);
	set(CURLOPT_WRITEDATA, &body_);
	set(CURLOPT_NOPROGRESS, 0L);
	set(CURLOPT_XFERINFOFUNCTION, on_progress);
	set(CURLOPT_XFERINFODATA, &cancel_);
	if (form)
		set(CURLOPT_MIMEPOST, form);
	CURLcode rc = curl_easy_perform(curl_.get());
	HttpReply r;
	if (rc != CURLE_OK) {
		r.error = errbuf_[0] ? errbuf_ : curl_easy_strerror(rc);
		return r;
	}
	if (curl_easy_getinfo(curl_.get(), CURLINFO_RESPONSE_CODE, &r.status) != CURLE_OK)
		r.status = 0;
	r.body = std::move(body_);
	return r;
}

} // namespace snitch
