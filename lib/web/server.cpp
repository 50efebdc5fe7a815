#include "web/server.hpp"
#include "core/event.hpp"
#include "core/stop_flag.hpp"
#include "web/token.hpp"
#include <chrono>
#include <fstream>
#include <httplib.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace snitch {
namespace {

const char* csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
		  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

httplib::Headers strict_headers()
{
	return {{"Content-Security-Policy", csp},
		{"X-Content-Type-Options", "nosniff"},
		{"X-Frame-Options", "DENY"},
		{"Referrer-Policy", "no-referrer"},
		{"Cross-Origin-Opener-Policy", "same-origin"},
		{"Cross-Origin-Resource-Policy", "same-origin"},
		{"Cache-Control", "no-store"}};
}

std::string read_file(const std::string& path)
{
	std::ifstream f(path, std::ios::binary);
	if (!f)
		throw std::runtime_error(path + ": cannot read the web page's files (--assets)");
	std::stringstream s;
	s << f.rdbuf();
	return s.str();
}

std::string cookie_name(int port)
{
	return "snitch_web_" + std::to_string(port);
}

// The token a request carries: ?token=, Authorization: Bearer, or our cookie.
std::string given_token(const httplib::Request& r, int port)
{
	if (r.has_param("token"))
		return r.get_param_value("token");
	std::string auth = r.get_header_value("Authorization");
	if (auth.rfind("Bearer ", 0) == 0)
		return auth.substr(7);
	std::string want = cookie_name(port) + "=";
	std::string cookies = r.get_header_value("Cookie");
	for (size_t pos = 0; pos < cookies.size();) {
		size_t end = cookies.find(';', pos);
		std::string c = cookies.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
		c.erase(0, c.find_first_not_of(' '));
		if (c.rfind(want, 0) == 0)
			return c.substr(want.size());
		if (end == std::string::npos)
			break;
		pos = end + 1;
	}
	return {};
}

std::string url_host(const std::string& host)
{
	return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// SO_REUSEADDR only: httplib's default SO_REUSEPORT would let a second
// server share the port unnoticed.
void socket_options(int sock)
{
	int yes = 1;
	::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

} // namespace

std::string web_assets_dir(const std::string& given)
{
	if (!given.empty())
		return given;
	char exe[4096];
	ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		throw std::runtime_error("cannot find the web page's files: give --assets");
	std::string bin(exe, static_cast<size_t>(n));
	bin.erase(bin.rfind('/'));
	return bin.substr(0, bin.rfind('/')) + "/share/picosnitch/web";
}

WebServer::WebServer(WebApi& api, WebServerOptions o) : api_(api), o_(std::move(o))
{
	for (auto [name, type] : {std::pair{"index.html", "text/html; charset=utf-8"}, {"app.js", "text/javascript; charset=utf-8"},
				  {"style.css", "text/css; charset=utf-8"}, {"chart.js", "text/javascript; charset=utf-8"}})
		files_["/" + std::string(name)] = {type, read_file(o_.assets + "/" + name)};
	files_["/"] = files_["/index.html"];
}

WebServer::~WebServer() = default;

void WebServer::route(httplib::Server& s)
{
	s.set_socket_options(socket_options);
	s.set_default_headers(strict_headers());
	s.set_pre_routing_handler([this](const httplib::Request& r, httplib::Response& res) {
		if (token_matches(given_token(r, o_.port), o_.token)) {
			if (r.has_param("token"))
				res.set_header("Set-Cookie", cookie_name(o_.port) + "=" + o_.token + "; Path=/; HttpOnly; SameSite=Strict");
			return httplib::Server::HandlerResponse::Unhandled;
		}
		res.status = 401;
		res.set_header("WWW-Authenticate", "Bearer realm=\"snitch-web\"");
		res.set_content("401 Unauthorized: open the URL with the token that snitch-web printed at start\n", "text/plain");
		return httplib::Server::HandlerResponse::Handled;
	});
	s.Get("/api/([a-z]+)", [this](const httplib::Request& r, httplib::Response& res) {
		auto reply = api_.get(r.matches[1], r.params);
		res.status = reply.status;
		res.set_content(reply.body, "application/json");
	});
	for (const auto& [path, file] : files_)
		s.Get(path, [&file = file](const httplib::Request&, httplib::Response& res) { res.set_content(file.second, file.first.c_str()); });
	s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
		std::string what = "internal error";
		try {
			std::rethrow_exception(ep);
		} catch (const std::exception& e) {
			what = e.what();
		}
		res.status = 500;
		res.set_content(Json{{"error", what}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
	});
}

std::vector<std::string> WebServer::bind(std::vector<std::string>& failed)
{
	std::vector<std::string> urls;
	for (const auto& host : o_.hosts) {
		auto s = std::make_unique<httplib::Server>();
		route(*s);
		int port = o_.port;
		if (port == 0)
			port = s->bind_to_any_port(host);
		else if (!s->bind_to_port(host, port))
			port = -1;
		if (port <= 0) {
			failed.push_back(url_host(host) + ":" + std::to_string(o_.port));
			continue;
		}
		o_.port = port;
		servers_.push_back(std::move(s));
		urls.push_back("http://" + url_host(host) + ":" + std::to_string(port) + "/?token=" + o_.token);
	}
	return urls;
}

void WebServer::run()
{
	std::vector<std::thread> threads;
	for (auto& s : servers_)
		threads.emplace_back([&s = *s] { s.listen_after_bind(); });
	while (!stop_requested())
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	for (auto& s : servers_)
		s->stop();
	for (auto& t : threads)
		t.join();
}

} // namespace snitch
