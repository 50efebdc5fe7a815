// snitch-notify: passes every event on, keeps summary.json, and tells the
// desktop user about new programs, changed programs, VirusTotal detections and errors.
#include "core/cli.hpp"
#include "core/config.hpp"
#include "core/filter_loop.hpp"
#include "notify/service.hpp"
#include <sys/stat.h>

namespace {

struct Options {
	std::string dir;
	std::string config;
	std::string user;
	std::string notices, listen;
	bool print = false, check_config = false;
	snitch::NotifyPolicyOptions policy;
};

void make_options(CLI::App& app, Options& o)
{
	app.add_option("-d,--dir", o.dir, "Directory of summary.json (and config.json unless --config; default: $PICOSNITCH_DIR, else /var/lib/picosnitch as root, else ~/.config/picosnitch)");
	snitch::add_check_config(app, o.check_config);
	app.add_option("--config", o.config, "config.json to read \"Desktop notifications\" from (default: DIR/config.json)");
	app.add_option("-u,--user", o.user, "Desktop user (name or uid) whose session bus gets the notifications (default: the sudo user, else the owner of the graphical session)");
	app.add_flag("--print", o.print, "Write notifications to stdout as notice events instead of D-Bus");
	app.add_option("--notices", o.notices, "Append notifications to FILE as notice events instead of D-Bus (the daemon; a listener delivers them)")
		->type_name("FILE");
	app.add_option("--listen", o.listen, "Read no events: follow FILE written by --notices and deliver what is appended to this user's session bus")
		->type_name("FILE")->excludes("--notices", "--print");
	app.add_option("--window", o.policy.window, "Seconds a burst is gathered into one notification")
		->check(CLI::Range(0.0, 3600.0))->capture_default_str();
	app.add_option("--error-interval", o.policy.error_interval, "At most one error notification per this many seconds")
		->check(CLI::Range(0.0, 86400.0))->capture_default_str();
}

int run(const Options& o)
{
	std::string dir = o.dir.empty() ? snitch::state_dir() : o.dir;
	std::string config_dir = o.dir.empty() ? snitch::config_dir() : o.dir;
	snitch::Config config = snitch::load_config(o.config.empty() ? config_dir + "/config.json" : o.config);
	if (o.check_config)
		return 0;
	if (!o.listen.empty())
		return snitch::listen_notices(o.listen, snitch::resolve_bus_target(o.user));
	if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
		throw std::system_error(errno, std::generic_category(), "mkdir " + dir);
	snitch::NotifyServiceOptions so;
	so.summary_path = dir + "/summary.json";
	so.print = o.print;
	so.notices_path = o.notices;
	so.desktop = config.desktop_notifications;
	so.policy = o.policy;
	if (so.desktop && !so.print)
		so.target = snitch::resolve_bus_target(o.user);
	snitch::NotifyService service(so);
	snitch::FilterLoop loop{.source = "snitch-notify"};
	loop.on_tick = [&](double now, snitch::JsonlWriter& out) { service.on_tick(now, out); };
	loop.on_idle = [&](snitch::JsonlWriter& out) { service.on_tick(snitch::epoch_now(), out); };
	loop.next_deadline = [&] { return service.next_deadline(); };
	loop.wake_fd = [&] { return service.wake_fd(); };
	loop.on_finish = [&](snitch::JsonlWriter& out) { service.on_finish(out); };
	return snitch::run_filter(loop, [&](std::string_view line, snitch::JsonlWriter& out) { service.on_line(line, out); });
}

} // namespace

int main(int argc, char** argv)
{
	CLI::App app{"Pass events on, keep summary.json and raise desktop notifications", "snitch-notify"};
	snitch::setup_app(app, "\nExamples:\n"
			       "  sudo snitch-trace | sudo snitch-hash | snitch-notify | snitch-store\n"
			       "  snitch-notify --print < events.jsonl | jq -c 'select(.type == \"notice\")'\n"
			       "  sudo snitch-notify --user alice --dir /var/lib/picosnitch\n"
			       "  snitch-notify --listen /var/lib/picosnitch/notices.jsonl   # in the desktop session\n");
	Options o;
	make_options(app, o);
	return snitch::parse_and_run(app, argc, argv, [&] { return run(o); });
}
