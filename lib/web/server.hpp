#pragma once
// snitch-web's HTTP side (cpp-httplib): the page and its assets, the JSON
// API, a token on every request, strict headers on every response.
#include "web/api.hpp"
#include <memory>
#include <string>
#include <vector>

namespace httplib {
class Server;
}

namespace snitch {

struct WebServerOptions {
	std::vector<std::string> hosts;  // addresses to listen on
	int port = 5100;                 // 0: any free port (the same on every address)
	std::string assets;              // directory with index.html, app.js, style.css, chart.js
	std::string token;
};

class WebServer {
public:
	WebServer(WebApi& api, WebServerOptions o);
	~WebServer();
	// Binds every address it can; returns one URL with the token per bound
	// address, and adds "host:port" to `failed` for each other one.
	std::vector<std::string> bind(std::vector<std::string>& failed);
	// Serves until stop_requested().
	void run();

private:
	void route(httplib::Server& s);
	WebApi& api_;
	WebServerOptions o_;
	std::map<std::string, std::pair<std::string, std::string>> files_;  // path -> (type, body)
	std::vector<std::unique_ptr<httplib::Server>> servers_;
};

// The directory of the web assets: `given`, else share/picosnitch/web beside
// the executable's bin/ directory.
std::string web_assets_dir(const std::string& given);

} // namespace snitch
