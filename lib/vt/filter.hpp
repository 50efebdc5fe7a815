#pragma once
#include "vt/worker.hpp"
#include <string>

namespace snitch {

// The snitch-vt loop: passes every input line through at once, hands each
// sha256 (and parent.sha256, grandparent.sha256) not seen before to the
// worker, and writes the worker's vt and error events as they arrive, also
// while input is idle: run_filter() with the worker's eventfd as its wake
// descriptor. At EOF it waits until the queue is answered or `drain_seconds`
// have passed (a stop must not wait on an unreachable API); on SIGINT/SIGTERM
// it stops at once. Either way what is left stays queued on disk for the next
// run. Returns 0; rethrows what stopped the worker, if anything did, once
// input is done.
int run_vt_filter(VtWorker& worker, double drain_seconds = 5, int in_fd = 0, int out_fd = 1);

// Passes everything through unchanged (no API key): malformed lines are still
// reported and skipped, as every filter does.
int run_passthrough(int in_fd = 0, int out_fd = 1);

} // namespace snitch
