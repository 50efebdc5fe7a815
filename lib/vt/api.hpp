#pragma once
#include "core/c_handle.hpp"
#include <atomic>
#include <curl/curl.h>
#include <string>

namespace snitch {

using Curl = std::unique_ptr<CURL, CFree<curl_easy_cleanup>>;

// curl_global_init for the life of the object (create it before any thread).
class CurlGlobal {
public:
	CurlGlobal();
	~CurlGlobal() { curl_global_cleanup(); }
	CurlGlobal(const CurlGlobal&) = delete;
	CurlGlobal& operator=(const CurlGlobal&) = delete;
};

// What one HTTP exchange gave: `error` is set (and `status` 0) when no HTTP
// answer came back at all (DNS, connection, TLS, timeout, cancelled).
struct HttpReply {
	long status = 0;
	std::string body;
	std::string error;
};

// The VirusTotal v3 REST API over libcurl: TLS verification on, only http and
// https, the key in the x-apikey header and nowhere else. One request at a
// time; a set `cancel` flag aborts the transfer in progress.
class VtApi {
public:
	VtApi(std::string api_url, std::string key, std::string ca_file, const std::atomic<bool>& cancel);
	VtApi(const VtApi&) = delete;  // libcurl keeps pointers into this object
	VtApi& operator=(const VtApi&) = delete;

	// base + "/api/v3" + path
	std::string url(const std::string& path) const { return base_ + "/api/v3" + path; }
	HttpReply get(const std::string& url);
	// multipart/form-data POST with the file as the "file" part.
	// Sends `size` bytes of the open file `fd` (from offset 0) as the form field "file".
	HttpReply post_file(const std::string& url, int fd, long long size, const std::string& name);

private:
	HttpReply perform(const std::string& url, curl_mime* form);
	template <class T> void set(CURLoption opt, T value);

	std::string base_, key_, ca_file_;
	const std::atomic<bool>& cancel_;
	Curl curl_;
	char errbuf_[CURL_ERROR_SIZE] = {};
	std::string body_;
};

} // namespace snitch
