#include "trace/proc_table.hpp"
#include "trace/records.hpp"
#include <cctype>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <vector>

namespace snitch {
namespace {

std::string read_file(const std::string& path)
{
	std::ifstream f(path, std::ios::binary);
	std::ostringstream s;
	s << f.rdbuf();
	return s.str();
}

// At most `max` bytes: /proc/PID/cmdline can be megabytes long.
std::string read_file_prefix(const std::string& path, size_t max)
{
	std::ifstream f(path, std::ios::binary);
	std::string s(max, '\0');
	f.read(s.data(), static_cast<std::streamsize>(max));
	s.resize(static_cast<size_t>(f.gcount()));
	return s;
}

uint32_t status_field(const std::string& status, const char* key)
{
	auto pos = status.find(key);
	return pos == std::string::npos ? 0 : static_cast<uint32_t>(std::stoul(status.substr(pos + std::char_traits<char>::length(key))));
}

// Kernel-internal dev_t (MAJOR << 20 | MINOR) to the encoding stat(2) reports.
uint64_t user_dev(uint64_t kdev) { return makedev(kdev >> 20, kdev & 0xfffff); }

// A mount point from /proc/self/mountinfo, whose octal escapes (\040 for a space) undone.
std::string unescape_mount(const std::string& s)
{
	std::string out;
	for (size_t i = 0; i < s.size(); i++) {
		if (s[i] == '\\' && i + 3 < s.size() && isdigit(s[i + 1]) && isdigit(s[i + 2]) && isdigit(s[i + 3])) {
			out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else {
			out += s[i];
		}
	}
	return out;
}

bool is_file(const std::string& path, uint64_t dev, uint64_t ino)
{
	struct stat st;
	return stat(path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

// Why the exe path of an exec record may not name what ran, or "".
std::string exe_unverified(const exec_record& r, const std::string& exe, uint64_t dev, uint32_t own_mnt_ns)
{
	if (r.exe_flags & EXE_NO_MOUNT)
		return "no mount";
	if (r.exe_flags & EXE_UNLINKED)
		return "deleted";
	if (r.mnt_ns != own_mnt_ns && !is_file(exe, dev, r.ino))
		return "other mount namespace";
	return "";
}

uint32_t own_mnt_ns()
{
	struct stat st;
	return stat("/proc/self/ns/mnt", &st) == 0 ? static_cast<uint32_t>(st.st_ino) : 0;
}

} // namespace

std::string host_path(const std::string& path, uint64_t dev, uint64_t ino)
{
	if (is_file(path, dev, ino))
		return path;
	std::ifstream mountinfo("/proc/self/mountinfo");
	std::string line;
	while (std::getline(mountinfo, line)) {
		std::istringstream f(line);
		std::string id, parent, majmin, root, point;
		unsigned major = 0, minor = 0;
		if (!(f >> id >> parent >> majmin >> root >> point) || sscanf(majmin.c_str(), "%u:%u", &major, &minor) != 2)
			continue;
		if (makedev(major, minor) != dev)
			continue;
		std::string candidate = unescape_mount(point);
		if (candidate == "/")
			candidate.clear();
		candidate += path;
		if (is_file(candidate, dev, ino))
			return candidate;
	}
	return path;
}

std::string path_from_components(const char* buf, uint32_t len, uint32_t depth)
{
	std::vector<std::string_view> parts;
	for (uint32_t off = 0; off < len && parts.size() < depth;) {
		std::string_view part(buf + off);
		parts.push_back(part);
		off += part.size() + 1;
	}
	std::string path;
	for (auto it = parts.rbegin(); it != parts.rend(); ++it)
		path.append("/").append(*it);
	return path.empty() ? "/" : path;
}

std::string join_args(const char* buf, uint32_t len)
{
	std::string s(buf, len);
	while (!s.empty() && s.back() == '\0')
		s.pop_back();
	for (char& c : s)
		if (c == '\0')
			c = ' ';
	return s;
}

std::optional<ProcessInfo> read_proc(uint32_t pid)
{
	std::string dir = "/proc/" + std::to_string(pid);
	std::string status = read_file(dir + "/status");
	if (status.empty())
		return std::nullopt;
	ProcessInfo p;
	p.pid = pid;
	p.ppid = status_field(status, "PPid:");
	p.uid = status_field(status, "Uid:");
	p.comm = read_file(dir + "/comm");
	if (!p.comm.empty() && p.comm.back() == '\n')
		p.comm.pop_back();
	std::vector<char> link(4096);
	ssize_t n = readlink((dir + "/exe").c_str(), link.data(), link.size());
	if (n > 0)
		p.exe.assign(link.data(), static_cast<size_t>(n));
	struct stat st;
	if (stat((dir + "/exe").c_str(), &st) == 0) {
		p.dev = st.st_dev;
		p.ino = st.st_ino;
	}
	// The same bound as an exec record's (1023 bytes): a 1 MB command line would make every
	// event of the process, its children and grandchildren longer than the
	// 1 MiB line limit of the stages downstream, which would drop them all.
	std::string args = read_file_prefix(dir + "/cmdline", ARGS_LEN - 1);
	p.cmdline = join_args(args.data(), static_cast<uint32_t>(args.size()));
	return p;
}

void ProcessTable::scan_proc()
{
	std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir("/proc"), closedir);
	if (!dir)
		return;
	while (struct dirent* d = readdir(dir.get())) {
		char* end;
		unsigned long pid = strtoul(d->d_name, &end, 10);
		if (*end || !pid)
			continue;
		if (auto p = read_proc(static_cast<uint32_t>(pid)))
			procs_[p->pid] = std::move(*p);
	}
}

const ProcessInfo& ProcessTable::on_exec(const exec_record& r)
{
	ProcessInfo& p = procs_[r.hdr.pid];
	p = ProcessInfo{};
	p.pid = r.hdr.pid;
	p.ppid = r.ppid;
	p.uid = r.uid;
	p.comm.assign(r.comm, strnlen(r.comm, sizeof(r.comm)));
	p.dev = user_dev(r.dev);
	p.ino = r.ino;
	uint32_t len = std::min<uint32_t>(r.path_len, PATH_BUF_LEN);
	p.exe = host_path(path_from_components(r.path, len, r.path_depth), p.dev, p.ino);
	if (r.path_truncated)
		if (auto now = read_proc(r.hdr.pid); now && !now->exe.empty())
			p.exe = now->exe;
	p.cmdline = join_args(r.args, std::min<uint32_t>(r.args_len, ARGS_LEN));
	if (!own_mnt_ns_)
		own_mnt_ns_ = own_mnt_ns();
	p.exe_unverified = exe_unverified(r, p.exe, p.dev, own_mnt_ns_);
	return p;
}

void ProcessTable::on_fork(uint32_t pid, uint32_t ppid)
{
	auto parent = procs_.find(ppid);
	ProcessInfo child = parent != procs_.end() ? parent->second : read_proc(pid).value_or(ProcessInfo{});
	child.pid = pid;
	child.ppid = ppid;
	child.exited = 0;
	procs_[pid] = std::move(child);
}

void ProcessTable::on_exit(uint32_t pid)
{
	auto it = procs_.find(pid);
	if (it != procs_.end())
		it->second.exited = epoch_now();
}

const ProcessInfo* ProcessTable::find(uint32_t pid)
{
	auto it = procs_.find(pid);
	if (it != procs_.end())
		return &it->second;
	auto p = read_proc(pid);
	if (!p)
		return nullptr;
	return &(procs_[pid] = std::move(*p));
}

void ProcessTable::expire(double keep)
{
	double cutoff = epoch_now() - keep;
	std::erase_if(procs_, [cutoff](const auto& kv) { return kv.second.exited && kv.second.exited < cutoff; });
}

} // namespace snitch
