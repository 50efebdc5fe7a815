#pragma once
// snitch-web's JSON API (snitch-web(1)): each view's data from the query
// layer snitch-view uses, so that the numbers are --print's.
#include "view/query.hpp"
#include "web/live.hpp"
#include <map>
#include <mutex>
#include <string>

namespace snitch {

using WebParams = std::multimap<std::string, std::string>;

struct WebReply {
	int status = 200;
	std::string body;  // JSON
};

class WebApi {
public:
	// `now` > 0 anchors every time range there instead of the clock;
	// `live` may be null (no event stream).
	WebApi(ViewDb& db, LiveFeed* live, double now) : db_(db), live_(live), now_(now) {}

	// GET /api/<name>?params; 404 for an unknown name, 400 for bad params.
	WebReply get(const std::string& name, const WebParams& p);

private:
	std::string meta();
	std::string rows(const WebParams& p);
	std::string series(const WebParams& p);
	std::string detail(const WebParams& p);
	std::string live();
	double now(const WebParams& p) const;

	ViewDb& db_;
	std::mutex db_mu_;  // one connection, many HTTP threads
	LiveFeed* live_;
	double now_;
};

} // namespace snitch
