#include "core/clock.hpp"
#include <iomanip>
#include <sstream>

namespace snitch {

int64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);  // cannot fail for the clocks we name
	return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double clock_seconds(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string seconds_text(double s)
{
	std::ostringstream out;
	out << std::setprecision(3) << s << " s";
	return out.str();
}

} // namespace snitch
