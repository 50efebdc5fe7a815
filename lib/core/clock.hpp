#pragma once
// The clocks every tool reads, in seconds as double.
#include <cstdint>
#include <time.h>

namespace snitch {

double clock_seconds(clockid_t id);
int64_t clock_ns(clockid_t id);

// Wall-clock seconds since the epoch (event times).
inline double epoch_now() { return clock_seconds(CLOCK_REALTIME); }
// Seconds on the monotonic clock (window ages, retry timers, intervals).
inline double monotonic_now() { return clock_seconds(CLOCK_MONOTONIC); }

} // namespace snitch
