#pragma once
// The clocks every tool reads, in seconds as double.
#include <cstdint>
#include <string>
#include <time.h>

namespace snitch {

double clock_seconds(clockid_t id);
int64_t clock_ns(clockid_t id);

// Wall-clock seconds since the epoch (event times).
inline double epoch_now() { return clock_seconds(CLOCK_REALTIME); }
// Seconds on the monotonic clock (window ages, retry timers, intervals).
inline double monotonic_now() { return clock_seconds(CLOCK_MONOTONIC); }

// "1.5 s": a duration as messages give it (3 significant digits).
std::string seconds_text(double s);

} // namespace snitch
