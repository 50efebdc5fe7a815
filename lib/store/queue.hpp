#pragma once
// A bounded on-disk queue of batches (one JSON file each, written to a temp
// name, fsync'd and renamed), so that batches for an unreachable PostgreSQL
// server survive both the outage and a restart of snitch-store.
#include "db/schema.hpp"
#include <optional>
#include <string>

namespace snitch {

struct QueuedBatch {
	std::string path, id;
	Batch batch;                     // read back from its file, or
	const Batch* pushed = nullptr;  // the caller's, while it keeps it
	const Batch& get() const { return pushed ? *pushed : batch; }
};

class DiskQueue {
public:
	DiskQueue(std::string dir, uint64_t max_bytes);
	// Appends a batch under a new random id; false, writing nothing, when it
	// would take the queue past its bound. Until forget_pushed(), front()
	// hands out `b` itself instead of reading its file back: the caller keeps
	// `b` alive until then.
	bool push(const Batch& b);
	void forget_pushed() { last_.reset(); }
	// The oldest batch, if any (a file that cannot be read is moved aside).
	std::optional<QueuedBatch> front();
	void pop(const QueuedBatch& q);
	uint64_t bytes() const { return bytes_; }
	bool empty() const;

private:
	std::string dir_;
	uint64_t max_bytes_, bytes_ = 0, next_seq_ = 0;
	std::optional<QueuedBatch> last_;
};

std::string batch_to_json(const Batch& b, const std::string& id);
Batch batch_from_json(const std::string& text, std::string& id);

} // namespace snitch
