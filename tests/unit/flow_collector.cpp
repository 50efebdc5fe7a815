// Unit tests of snitch-trace's crediting logic (lib/trace/flow_collector):
// snapshots in, deltas and done entries out, no kernel involved.
#include "trace/flow_collector.hpp"
#include <cstdio>
#include <cstdlib>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace snitch;

namespace {

int failures = 0;

#define EXPECT_EQ(a, b) expect_eq((a), (b), #a, __LINE__)

template <class A, class B> void expect_eq(const A& a, const B& b, const char* what, int line)
{
	if (a == static_cast<A>(b))
		return;
	std::fprintf(stderr, "line %d: %s is %lld, expected %lld\n", line, what, static_cast<long long>(a),
		     static_cast<long long>(b));
	++failures;
}

constexpr uint32_t NETNS = 4026531840u;

flow_key key(uint64_t cookie, uint32_t tgid = 100)
{
	flow_key k{};
	k.cookie = cookie;
	k.tgid = tgid;
	return k;
}

flow_value value(uint64_t sent, uint64_t recv, uint64_t events, bool tcp = false)
{
	flow_value v{};
	v.sent = sent;
	v.recv = recv;
	v.events = events;
	v.netns = NETNS;
	v.protocol = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	v.sock_type = tcp ? SOCK_STREAM : SOCK_DGRAM;
	return v;
}

FlowSnapshot flows(std::initializer_list<std::pair<flow_key, flow_value>> f)
{
	FlowSnapshot s;
	s.flows = f;
	return s;
}

void deltas_are_differences()
{
	FlowCollector c;
	Interval i = c.collect(flows({{key(1), value(100, 10, 2)}}));
	EXPECT_EQ(i.deltas.size(), 1);
	EXPECT_EQ(i.deltas[0].sent, 100);
	i = c.collect(flows({{key(1), value(150, 30, 5)}}));
	EXPECT_EQ(i.deltas.size(), 1);
	EXPECT_EQ(i.deltas[0].sent, 50);
	EXPECT_EQ(i.deltas[0].recv, 20);
	EXPECT_EQ(i.deltas[0].events, 3);
}

void quiet_flow_is_not_reported_new_one_is()
{
	FlowCollector c;
	Interval i = c.collect(flows({{key(1), value(0, 0, 0)}}));
	EXPECT_EQ(i.deltas.size(), 1); // new, even without bytes
	i = c.collect(flows({{key(1), value(0, 0, 0)}}));
	EXPECT_EQ(i.deltas.size(), 0);
}

void idle_flow_is_done_after_the_limit()
{
	FlowCollector c(2);
	c.collect(flows({{key(1), value(5, 0, 1)}}));
	for (int n = 1; n <= 2; n++)
		EXPECT_EQ(c.collect(flows({{key(1), value(5, 0, 1)}})).done_flows.size(), 0);
	Interval i = c.collect(flows({{key(1), value(5, 0, 1)}}));
	EXPECT_EQ(i.done_flows.size(), 1);
	// forgotten: if the kernel still had it, it would count as new again
	EXPECT_EQ(c.collect(flows({{key(1), value(5, 0, 1)}})).deltas.size(), 1);
}

void closed_udp_is_done_at_release()
{
	FlowCollector c;
	FlowSnapshot s = flows({{key(1), value(10, 0, 1)}, {key(2), value(7, 0, 1)}});
	s.closed[1] = close_mark{0, 0, {}};
	Interval i = c.collect(s);
	EXPECT_EQ(i.deltas.size(), 2);
	EXPECT_EQ(i.done_flows.size(), 1);
	EXPECT_EQ(i.done_flows[0].cookie, 1);
	EXPECT_EQ(i.done_marks.size(), 1);
}

void released_tcp_waits_for_its_final_count()
{
	FlowCollector c;
	FlowSnapshot s = flows({{key(1), value(10, 0, 1, true)}});
	s.closed[1] = close_mark{0, 0, {}}; // released, not yet destroyed
	EXPECT_EQ(c.collect(s).done_flows.size(), 0);
	s.closed[1] = close_mark{0, 1, {}};
	EXPECT_EQ(c.collect(s).done_flows.size(), 1);
}

void splice_gap_counts_after_two_readings()
{
	FlowCollector c;
	c.set_tcp_baseline({}, NETNS);
	FlowSnapshot s = flows({{key(1), value(0, 100, 1, true)}});
	s.tcp_read[1] = 400; // 300 read by splice, unseen by the tracepoints
	EXPECT_EQ(c.collect(s).deltas[0].recv, 100);
	s.flows[0].second.events = 2; // still the same gap: now it is sure
	Interval i = c.collect(s);
	EXPECT_EQ(i.deltas.size(), 1);
	EXPECT_EQ(i.deltas[0].recv, 300);
	EXPECT_EQ(c.collect(s).deltas.size(), 0); // credited once
}

void gap_seen_once_is_a_read_in_flight()
{
	FlowCollector c;
	c.set_tcp_baseline({}, NETNS);
	FlowSnapshot s = flows({{key(1), value(0, 100, 1, true)}});
	s.tcp_read[1] = 100;
	c.collect(s);
	s.tcp_read[1] = 250; // the tracepoint's count of this read comes next interval
	EXPECT_EQ(c.collect(s).deltas.size(), 0);
	s.flows[0].second.recv = 250;
	EXPECT_EQ(c.collect(s).deltas[0].recv, 150);
}

void close_mark_credits_the_exact_gap()
{
	FlowCollector c;
	c.set_tcp_baseline({}, NETNS);
	FlowSnapshot s = flows({{key(1), value(0, 100, 1, true)}});
	s.closed[1] = close_mark{180, 1, {}};
	Interval i = c.collect(s);
	EXPECT_EQ(i.deltas[0].recv, 180);
	EXPECT_EQ(i.done_flows.size(), 1);
}

void baseline_and_other_netns_are_not_credited()
{
	FlowCollector c;
	c.set_tcp_baseline({{1, 5000}}, NETNS);
	FlowSnapshot s = flows({{key(1), value(0, 10, 1, true)}, {key(2), value(0, 10, 1, true)}});
	s.flows[1].second.netns = NETNS + 1;
	s.tcp_read[1] = 5010;
	s.tcp_read[2] = 900;
	for (int n = 0; n < 3; n++) {
		Interval i = c.collect(s);
		for (const FlowDelta& d : i.deltas)
			EXPECT_EQ(d.recv, 10);
		for (auto& f : s.flows)
			f.second.recv += 10;
		s.tcp_read[1] += 10;
	}
}

void socket_is_credited_once_over_its_flows()
{
	FlowCollector c;
	c.set_tcp_baseline({}, NETNS);
	// one socket used by two processes (a passed descriptor): one gap of 60
	FlowSnapshot s = flows({{key(1, 100), value(0, 20, 1, true)}, {key(1, 200), value(0, 20, 1, true)}});
	s.closed[1] = close_mark{100, 1, {}};
	uint64_t total = 0;
	for (const FlowDelta& d : c.collect(s).deltas)
		total += d.recv;
	EXPECT_EQ(total, 100);
}

} // namespace

int main()
{
	deltas_are_differences();
	quiet_flow_is_not_reported_new_one_is();
	idle_flow_is_done_after_the_limit();
	closed_udp_is_done_at_release();
	released_tcp_waits_for_its_final_count();
	splice_gap_counts_after_two_readings();
	gap_seen_once_is_a_read_in_flight();
	close_mark_credits_the_exact_gap();
	baseline_and_other_netns_are_not_credited();
	socket_is_credited_once_over_its_flows();
	if (failures)
		std::fprintf(stderr, "%d failed\n", failures);
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
