// SPDX-License-Identifier: GPL-2.0
/* Kernel side of snitch-trace: per-flow byte counters, process starts and exits. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"
#include "trace.h"

#define AF_INET 2
#define AF_INET6 10
#define AF_PACKET 17
#define ETH_P_IP 0x0800
#define SOCK_RAW 3
#define PROTO_ICMPV6 58
#define DNS_PORT 53
#define TCP_LISTEN 10
#define MSG_PEEK 2
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_CLOSE 7

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load; zero means "off". */
const volatile __u32 self_tgid = 0;
/* The kprobe set reads peers from the `peers` hash: kprobes cannot reach
 * socket storage. */
const volatile __u32 peers_in_hash = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, struct flow_value);
} flows SEC(".maps");

/* Sockets that were released or reached TCP_CLOSE: user space reports their
 * flows one last time and deletes them. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct close_mark);
} closed SEC(".maps");

/* Last peer of an unconnected socket, from the cgroup sendmsg/recvmsg hooks that
 * run inside the same syscall just before the byte-count hook. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct peer_addr);
} peers SEC(".maps");

/* The same, kept with the socket, for the hook sets that can read it. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct peer_addr);
} sk_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} records SEC(".maps");

/* User space drains the rings at least every 100 ms: it is woken only when
 * one fills up, so that a record costs no wake-up (an IPI) of its own. */
static __always_inline __u64 ring_flags(void *ring)
{
	__u64 room = bpf_ringbuf_query(ring, BPF_RB_RING_SIZE);
	return bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) > room / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* An exec record is built here and sent only as long as its path. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_record);
} exec_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LOST_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline void count_lost(__u32 which, __u64 n)
{
	add_counter(&lost, which, n);
}

static __always_inline bool is_inet_family(__u16 family)
{
	return family == AF_INET || family == AF_INET6;
}

/* IPv4, IPv6 (TCP, UDP, ICMP, raw IP of any protocol) and AF_PACKET. */
static __always_inline bool is_traced_family(__u16 family)
{
	return is_inet_family(family) || family == AF_PACKET;
}

/* What the per-event path needs of a socket. The entry programs read it:
 * directly where the verifier knows the pointer's BTF type (tp_btf,
 * fentry), with BPF_CORE_READ where it does not (kprobes). */
struct sock_facts {
	__u64 cookie;
	__u16 protocol;
	__u8 state;
};

/* Of a socket of a traced family: the caller checked it, so that no
 * helper runs for the others (AF_UNIX) and the verifier sees no path that
 * skips the cookie. */
static __always_inline void read_facts_btf(struct sock_facts *f, struct sock *sk)
{
	__u64 c = sk->__sk_common.skc_cookie.counter;
	/* most sockets got theirs at birth (sock_create): no helper call then */
	f->cookie = c ? c : bpf_get_socket_cookie(sk);
	f->protocol = sk->sk_protocol;
	f->state = sk->__sk_common.skc_state;
}

/* kprobes cannot ask for a cookie, only read one: every inet socket is
 * given its cookie before it can move a byte (sock_create, state_btf,
 * iter/tcp at start). The address keys only sockets nothing gave a cookie
 * (AF_PACKET, sockets older than snitch-trace). */
static __always_inline void read_facts_probe(struct sock_facts *f, struct sock *sk)
{
	__u64 c = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	f->cookie = c ? c : (__u64)sk;
	f->protocol = BPF_CORE_READ(sk, sk_protocol);
	f->state = BPF_CORE_READ(sk, __sk_common.skc_state);
}

/* Off the per-event path: BPF_CORE_READ, whatever the hook. */
static __always_inline void read_addresses(struct flow_value *v, const struct sock *sk)
{
	v->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	v->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (v->family == AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr), r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(v->laddr, &l, 4);
		__builtin_memcpy(v->raddr, &r, 4);
	} else {
		bpf_probe_read_kernel(v->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_probe_read_kernel(v->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

/* `owner`: the process the flow belongs to when it is not `current` (the
 * start-up scan of open sockets), else NULL. */
static __always_inline struct flow_value *create_flow_of(const struct flow_key *key, struct sock *sk,
							 __u64 bytes, struct task_struct *owner)
{
	struct task_struct *task = owner ? owner : (struct task_struct *)bpf_get_current_task();
	struct flow_value v;

	__builtin_memset(&v, 0, sizeof(v));
	v.start_ns = bpf_ktime_get_boot_ns();
	if (owner) {
		v.cgroup = BPF_CORE_READ(owner, cgroups, dfl_cgrp, kn, id);
		v.uid = BPF_CORE_READ(owner, cred, uid.val);
	} else {
		v.cgroup = bpf_get_current_cgroup_id();
		v.uid = (__u32)bpf_get_current_uid_gid();
	}
	v.ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_probe_read_kernel_str(v.comm, sizeof(v.comm), BPF_CORE_READ(task, group_leader, comm));
	v.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	v.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	v.protocol = BPF_CORE_READ(sk, sk_protocol);
	v.sock_type = BPF_CORE_READ(sk, sk_type);
	if (is_inet_family(v.family))
		read_addresses(&v, sk);
	else /* AF_PACKET: the EtherType the socket was opened for */
		v.protocol = BPF_CORE_READ((struct packet_sock *)sk, num);
	if (key->peer_port || key->peer[0] || key->peer[15]) {
		__builtin_memcpy(v.raddr, key->peer, 16);
		v.rport = key->peer_port;
	}
	struct flow_value *f = bpf_map_lookup_or_try_init(&flows, key, &v);
	if (!f) {
		count_lost(LOST_FLOW_MAP, 1);
		count_lost(LOST_BYTES, bytes);
	}
	return f;
}

static __always_inline struct flow_value *create_flow(const struct flow_key *key, struct sock *sk, __u64 bytes)
{
	return create_flow_of(key, sk, bytes, NULL);
}

/* `sk`: a BTF socket pointer, whose storage holds its peer; NULL in kprobes. */
static __always_inline void make_key(struct flow_key *key, const struct sock_facts *f, struct sock *sk)
{
	__builtin_memset(key, 0, sizeof(*key));
	key->cookie = f->cookie;
	key->tgid = bpf_get_current_pid_tgid() >> 32;
	if (f->protocol == IPPROTO_TCP || f->state == TCP_ESTABLISHED)
		return;
	struct peer_addr *p = sk ? bpf_sk_storage_get(&sk_peers, sk, 0, 0) : bpf_map_lookup_elem(&peers, &key->cookie);
	if (p) {
		__builtin_memcpy(key->peer, p->addr, 16);
		key->peer_port = p->port;
	}
}

/* Bytes snitch-trace's own start-up check moved, by direction and protocol
 * (enum check_counter): the check compares them with what its calls returned. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CHECK_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} check SEC(".maps");

static __always_inline void count_check(__u16 proto, int ret, bool is_send)
{
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return;
	__u32 i = (is_send ? CHECK_TCP_SENT : CHECK_TCP_RECV) + (proto == IPPROTO_UDP ? 1 : 0);
	__u64 *c = bpf_map_lookup_elem(&check, &i);
	if (c)
		__sync_fetch_and_add(c, ret);
}

/* kprobes: a socket older than snitch-trace that moved bytes before anything
 * gave it a cookie (a cgroup hook, a state change) was keyed by its address,
 * and stays under that key, so that it is one flow. Off the per-event path:
 * only where the cookie's flow is missing. */
static __always_inline struct flow_value *flow_by_address(const struct flow_key *key, struct sock *sk)
{
	struct flow_key old = *key;
	if (key->cookie == (__u64)sk)
		return NULL;
	old.cookie = (__u64)sk;
	return bpf_map_lookup_elem(&flows, &old);
}

/* The per-event path: a lookup in flows (after the socket's peer for a
 * datagram socket that is not connected) and three adds; everything else
 * waits for the interval. `btf`: sk is a BTF pointer (not a kprobe's). */
static __always_inline int count_bytes(const struct sock_facts *f, struct sock *sk, int ret, bool is_send,
				       bool btf)
{
	struct flow_key key;
	struct flow_value *v;

	make_key(&key, f, btf && !peers_in_hash ? sk : NULL);
	if (self_tgid && key.tgid == self_tgid) {
		count_check(f->protocol, ret, is_send);
		return 0;
	}
	v = bpf_map_lookup_elem(&flows, &key);
	if (!v && !btf)
		v = flow_by_address(&key, sk);
	if (!v) {
		v = create_flow(&key, sk, ret);
		if (!v)
			return 0;
	} else if (!v->lport && v->family != AF_PACKET) {
		read_addresses(v, sk);
	}
	if (is_send)
		__sync_fetch_and_add(&v->sent, ret);
	else
		__sync_fetch_and_add(&v->recv, ret);
	__sync_fetch_and_add(&v->events, 1);
	return 0;
}

static __always_inline int count_btf(struct sock *sk, int ret, bool is_send)
{
	struct sock_facts f;
	if (ret <= 0 || !sk || !is_traced_family(sk->__sk_common.skc_family))
		return 0;
	read_facts_btf(&f, sk);
	return count_bytes(&f, sk, ret, is_send, true);
}

static __always_inline int count_probe(struct sock *sk, int ret, bool is_send)
{
	struct sock_facts f;
	if (ret <= 0 || !sk || !is_traced_family(BPF_CORE_READ(sk, __sk_common.skc_family)))
		return 0;
	read_facts_probe(&f, sk);
	return count_bytes(&f, sk, ret, is_send, false);
}

/* Hook set "tp_btf": the stable sock_{send,recv}_length tracepoints (Linux >= 6.3). */
SEC("tp_btf/sock_send_length")
int BPF_PROG(send_length_btf, struct sock *sk, int ret, int flags)
{
	return count_btf(sk, ret, true);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(recv_length_btf, struct sock *sk, int ret, int flags)
{
	if (flags & MSG_PEEK)
		return 0;
	return count_btf(sk, ret, false);
}

/* Hook sets "fentry" and "kprobe" probe the proto_ops functions that every
 * send and receive of a traced family ends in: they are called through
 * sock->ops, so no kernel build can inline them into the syscalls, as it can
 * sock_sendmsg. Each call is counted once: sock_sendmsg and its callers are
 * not probed. */

/* struct proto before Linux 6.5, which dropped sendpage. */
struct proto___sendpage {
	int (*sendpage)(struct sock *sk, struct page *page, int offset, size_t size, int flags);
} __attribute__((preserve_access_index));

/* inet_sendpage (sendfile and splice to a socket, Linux < 6.5) falls back to
 * sock_no_sendpage and so to inet_sendmsg, counted there, when the protocol
 * has no sendpage of its own (raw, ping). */
static __always_inline bool sendpage_is_own(struct sock *sk)
{
	struct proto___sendpage *prot = (void *)BPF_CORE_READ(sk, __sk_common.skc_prot);
	if (!bpf_core_field_exists(prot->sendpage))
		return false;
	return BPF_CORE_READ(prot, sendpage) != NULL;
}

#define SEND_FEXIT(func)                                                             \
	SEC("fexit/" #func)                                                          \
	int BPF_PROG(func##_fexit, struct socket *sock, struct msghdr *msg, size_t size, int ret) \
	{                                                                            \
		return count_btf(sock->sk, ret, true);                      \
	}
#define RECV_FEXIT(func)                                                             \
	SEC("fexit/" #func)                                                          \
	int BPF_PROG(func##_fexit, struct socket *sock, struct msghdr *msg, size_t size, int flags, int ret) \
	{                                                                            \
		if (flags & MSG_PEEK)                                                \
			return 0;                                                    \
		return count_btf(sock->sk, ret, false);                     \
	}

SEND_FEXIT(inet_sendmsg)
SEND_FEXIT(inet6_sendmsg)
SEND_FEXIT(packet_sendmsg)
SEND_FEXIT(packet_sendmsg_spkt)
RECV_FEXIT(inet_recvmsg)
RECV_FEXIT(inet6_recvmsg)
RECV_FEXIT(sock_common_recvmsg) /* raw and ping sockets of IPv6 */
RECV_FEXIT(packet_recvmsg)

SEC("fexit/inet_sendpage")
int BPF_PROG(inet_sendpage_fexit, struct socket *sock, struct page *page, int offset, size_t size, int flags,
	     long ret)
{
	struct sock *sk = sock->sk;
	if (!sk || !sendpage_is_own(sk))
		return 0;
	return count_btf(sk, ret, true);
}

#define RCV_SHUTDOWN 1

/* What the owner of a TCP socket has read by every path, splice included:
 * TCP's byte count less what still waits in the receive queue, less the
 * peer's FIN, which bytes_received counts as one byte. */
static __always_inline __u64 tcp_read_bytes(const struct tcp_sock *tp)
{
	__u64 n = tp->bytes_received - (__u32)(tp->rcv_nxt - tp->copied_seq);
	if (n && (tp->inet_conn.icsk_inet.sk.sk_shutdown & RCV_SHUTDOWN))
		n--;
	return n;
}

/* Hook set "kprobe": the entry probe keeps the socket per task, the return
 * probe counts (kernels with kprobes but no trampolines). User space attaches
 * each program to every function of the list that this kernel has. */
struct io_arg {
	struct sock *sk;
	int flags;
	int pad;
};

/* LRU: a thread that dies between entry and return leaves its entry behind. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct io_arg);
} io_args SEC(".maps");

static __always_inline int stash_sock(struct sock *sk, int flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct io_arg a = {};
	a.sk = sk;
	a.flags = flags;
	if (bpf_map_update_elem(&io_args, &id, &a, BPF_ANY))
		count_lost(LOST_IO_ARGS, 1);
	return 0;
}

static __always_inline int count_stashed(int ret, bool is_send)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct io_arg *a = bpf_map_lookup_elem(&io_args, &id);
	if (!a)
		return 0;
	struct sock *sk = a->sk;
	int flags = a->flags;
	bpf_map_delete_elem(&io_args, &id);
	if (flags & MSG_PEEK)
		return 0;
	return count_probe(sk, ret, is_send);
}

SEC("kprobe")
int BPF_KPROBE(send_kprobe, struct socket *sock)
{
	return stash_sock(BPF_CORE_READ(sock, sk), 0);
}

/* A sendpage that falls back to sendmsg is counted by the nested sendmsg
 * probes, which also consume the stash: nothing is kept here. */
SEC("kprobe")
int BPF_KPROBE(sendpage_kprobe, struct socket *sock)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (sk && sendpage_is_own(sk))
		stash_sock(sk, 0);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(send_kretprobe, long ret)
{
	return count_stashed(ret, true);
}

SEC("kprobe")
int BPF_KPROBE(recv_kprobe, struct socket *sock, struct msghdr *msg, size_t size, int flags)
{
	return stash_sock(BPF_CORE_READ(sock, sk), flags);
}

SEC("kretprobe")
int BPF_KRETPROBE(recv_kretprobe, int ret)
{
	return count_stashed(ret, false);
}

static __always_inline void mark_closed(__u64 cookie)
{
	struct close_mark m = {};
	bpf_map_update_elem(&closed, &cookie, &m, BPF_NOEXIST);
}

/* The final TCP count replaces a plain mark left by sock_release. */
static __always_inline void mark_tcp_closed(struct sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	__u64 cookie = bpf_get_socket_cookie(sk);
	struct close_mark m = {};
	if (tp) {
		m.tcp_read = tcp_read_bytes(tp);
		m.has_tcp = 1;
	}
	bpf_map_update_elem(&closed, &cookie, &m, BPF_ANY);
}

/* splice() from a TCP socket bypasses sock_recvmsg and its tracepoint; user
 * space compares TCP's own counts with the tracepoint's on every interval.
 * Each TCP socket keeps the count it last reported, so that an interval's
 * iterator writes out only the sockets whose count moved. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} tcp_seen SEC(".maps");

static __always_inline struct tcp_sock *tcp_of(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	if (!skc || skc->skc_state == TCP_LISTEN)
		return NULL;
	return bpf_skc_to_tcp_sock(skc);
}

/* `all`: every socket (the baseline at start), else those whose count moved.
 * A socket first seen here had read nothing before: it is written once it has. */
static __always_inline int write_tcp_count(struct bpf_iter__tcp *ctx, bool all)
{
	struct tcp_sock *tp = tcp_of(ctx);
	if (!tp)
		return 0;
	__u64 n = tcp_read_bytes(tp);
	__u64 *seen = bpf_sk_storage_get(&tcp_seen, tp, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (seen) {
		if (*seen == n && !all)
			return 0;
		*seen = n;
	}
	struct tcp_counter c = {};
	c.cookie = bpf_get_socket_cookie(tp);
	c.tcp_read = n;
	bpf_seq_write(ctx->meta->seq, &c, sizeof(c));
	return 0;
}

SEC("iter/tcp")
int tcp_counters(struct bpf_iter__tcp *ctx)
{
	return write_tcp_count(ctx, true);
}

SEC("iter/tcp")
int tcp_changed(struct bpf_iter__tcp *ctx)
{
	return write_tcp_count(ctx, false);
}

/* Not TCP_CLOSE: a socket whose peer's FIN ends FIN_WAIT2 reaches TCP_CLOSE
 * while its owner may still read the queue. Destruction comes after the
 * owner let go, so the count taken here is final. */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(destroy_btf, struct sock *sk)
{
	mark_tcp_closed(sk);
	return 0;
}

/* Run once at start-up: every socket already open in any process becomes a
 * flow of its owner, so that connections that predate snitch-trace are
 * reported even before they move a byte. */
SEC("iter/task_file")
int open_sockets(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct flow_key key;

	if (!task || !file || task->pid != task->tgid || (self_tgid && task->tgid == self_tgid))
		return 0;
	struct socket *sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	struct sock *sk = sock->sk;
	if (!sk || !is_traced_family(sk->__sk_common.skc_family) || sk->__sk_common.skc_state == TCP_LISTEN)
		return 0;
	__builtin_memset(&key, 0, sizeof(key));
	/* read, not made: newer verifiers give no helper this socket pointer.
	 * iter/tcp has given every TCP socket of the netns its cookie by now;
	 * a socket without one is reported once it moves a byte. */
	key.cookie = sk->__sk_common.skc_cookie.counter;
	if (!key.cookie)
		return 0;
	key.tgid = task->tgid;
	if (!bpf_map_lookup_elem(&flows, &key))
		create_flow_of(&key, sk, 0, task);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(state_btf, struct sock *sk, int oldstate, int newstate)
{
	struct sock_facts f;
	/* reading the facts gives the socket its cookie: accepted ones get it here */
	read_facts_btf(&f, sk);
	if (newstate != TCP_SYN_SENT)
		return 0;
	/* connect(2) runs in the caller's context: record even flows that never carry data. */
	struct flow_key key;
	make_key(&key, &f, NULL); /* TCP: no peer */
	if (!(self_tgid && key.tgid == self_tgid) && !bpf_map_lookup_elem(&flows, &key))
		create_flow(&key, sk, 0);
	return 0;
}

static __always_inline bool same_peer(const struct peer_addr *a, const struct peer_addr *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;
	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2];
}

/* Written only when it changed: a socket that talks to one peer pays a
 * read per datagram, no update. */
static __always_inline void set_peer(struct bpf_sock *sk, __u64 cookie, const struct peer_addr *p)
{
	if (peers_in_hash) {
		struct peer_addr *old = bpf_map_lookup_elem(&peers, &cookie);
		if (!old || !same_peer(old, p))
			bpf_map_update_elem(&peers, &cookie, p, BPF_ANY);
		return;
	}
	struct peer_addr *old = bpf_sk_storage_get(&sk_peers, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (old && !same_peer(old, p))
		*old = *p;
}

static __always_inline int remember_peer(struct bpf_sock_addr *ctx, const void *addr, __u32 len)
{
	struct peer_addr p;
	struct bpf_sock *sk = ctx->sk;

	if (!sk)
		return 1;
	__builtin_memset(&p, 0, sizeof(p));
	p.family = ctx->user_family;
	p.port = bpf_ntohs(ctx->user_port);
	if (len == 4)
		__builtin_memcpy(p.addr, addr, 4);
	else
		__builtin_memcpy(p.addr, addr, 16);
	set_peer(sk, peers_in_hash ? bpf_get_socket_cookie(ctx) : 0, &p);
	return 1;
}

/* The v4 and v6 context fields may only be read by their own attach types. */
static __always_inline int remember_peer4(struct bpf_sock_addr *ctx)
{
	__u32 a = ctx->user_ip4;
	return remember_peer(ctx, &a, 4);
}

static __always_inline int remember_peer6(struct bpf_sock_addr *ctx)
{
	__u32 a[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
	return remember_peer(ctx, a, 16);
}

SEC("cgroup/sendmsg4")
int sendmsg4(struct bpf_sock_addr *ctx) { return remember_peer4(ctx); }
SEC("cgroup/sendmsg6")
int sendmsg6(struct bpf_sock_addr *ctx) { return remember_peer6(ctx); }
SEC("cgroup/recvmsg4")
int recvmsg4(struct bpf_sock_addr *ctx) { return remember_peer4(ctx); }
SEC("cgroup/recvmsg6")
int recvmsg6(struct bpf_sock_addr *ctx) { return remember_peer6(ctx); }

/* Unconnected raw and ping sockets: the cgroup sendmsg/recvmsg hooks run for
 * UDP only, so their peer comes from the packet's IP header. */
static __always_inline void note_raw_peer(struct __sk_buff *skb, struct bpf_sock *sk, bool egress)
{
	struct peer_addr p;

	if (sk->type != SOCK_RAW && sk->protocol != IPPROTO_ICMP && sk->protocol != PROTO_ICMPV6)
		return;
	__builtin_memset(&p, 0, sizeof(p));
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (sk->dst_ip4 || bpf_skb_load_bytes(skb, egress ? 16 : 12, p.addr, 4))
			return;
		p.family = AF_INET;
	} else {
		if (sk->dst_ip6[0] | sk->dst_ip6[1] | sk->dst_ip6[2] | sk->dst_ip6[3])
			return;
		if (bpf_skb_load_bytes(skb, egress ? 24 : 8, p.addr, 16))
			return;
		p.family = AF_INET6;
	}
	set_peer(sk, peers_in_hash ? bpf_get_socket_cookie(skb) : 0, &p);
}

/* The transport protocol of a packet and where its header starts, by direct
 * packet access: these programs see every packet, so the common case (TCP,
 * UDP that is not DNS) must cost a few loads and no helper call. */
static __always_inline int l4_proto(struct __sk_buff *skb, __u32 *l4off)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *b = data;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if ((void *)(b + 20) > end)
			return -1;
		*l4off = (b[0] & 0xf) * 4;
		return b[9];
	}
	if ((void *)(b + 40) > end)
		return -1;
	*l4off = 40; /* extension headers: not DNS, and raw peers come from the fixed header */
	return b[6];
}

/* DNS over UDP: a name is believed only for an answer to a query that the
 * receiving socket sent (same socket, id and reversed addresses and ports;
 * user space compares the question), and not when a local socket of the
 * asker's own user sent it: a process cannot answer itself, from its own
 * port 53 or a namespace of its own. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct dns_query_key);
	__type(value, struct dns_query);
} dns_queries SEC(".maps");

/* Answers that left a local socket, by the tuple their packet carries, with
 * that socket's owner; the receiving side checks them against the asker. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct dns_tuple);
	__type(value, __u32);
} dns_local_answers SEC(".maps");

/* Their own ring: a flood of answers cannot crowd out process records. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} dns_records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_query);
} dns_scratch SEC(".maps");

/* The UDP source and destination ports (network order) by direct packet access. */
static __always_inline int udp_ports(struct __sk_buff *skb, __u32 off, __u16 *sport, __u16 *dport)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u16 *port = data + (off & 0xff);

	if ((void *)(port + 2) > end)
		return -1;
	*sport = port[0];
	*dport = port[1];
	return 0;
}

/* `query`: the packet goes to the server, else it comes from it. */
static __always_inline int read_dns_tuple(struct __sk_buff *skb, __u32 off, bool query, struct dns_tuple *t)
{
	__u16 ports[2];
	__u8 *src = query ? t->client : t->server, *dst = query ? t->server : t->client;

	__builtin_memset(t, 0, sizeof(*t));
	if (bpf_skb_load_bytes(skb, off, ports, 4) || bpf_skb_load_bytes(skb, off + 8, &t->id, 2))
		return -1;
	t->server_port = query ? ports[1] : ports[0];
	t->client_port = query ? ports[0] : ports[1];
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		t->family = AF_INET;
		return bpf_skb_load_bytes(skb, 12, src, 4) || bpf_skb_load_bytes(skb, 16, dst, 4) ? -1 : 0;
	}
	t->family = AF_INET6;
	return bpf_skb_load_bytes(skb, 8, src, 16) || bpf_skb_load_bytes(skb, 24, dst, 16) ? -1 : 0;
}

static __always_inline void note_dns_query(struct __sk_buff *skb, __u32 off)
{
	struct dns_query_key k;
	__u32 zero = 0;
	struct dns_query *q = bpf_map_lookup_elem(&dns_scratch, &zero);

	if (!q || read_dns_tuple(skb, off, true, &k.t))
		return;
	if (skb->len < off + 8 + 12)
		return;
	__u32 len = skb->len - off - 8;
	if (len > DNS_QUERY_MAX)
		len = DNS_QUERY_MAX;
	q->len = len;
	__u32 n = *(volatile __u32 *)&q->len;
	if (n < 12 || n > DNS_QUERY_MAX || bpf_skb_load_bytes(skb, off + 8, q->msg, n))
		return;
	q->uid = bpf_get_socket_uid(skb);
	k.cookie = bpf_get_socket_cookie(skb);
	bpf_map_update_elem(&dns_queries, &k, q, BPF_ANY);
}

static __always_inline void note_local_answer(struct __sk_buff *skb, __u32 off)
{
	struct dns_tuple t;
	if (read_dns_tuple(skb, off, false, &t))
		return;
	__u32 uid = bpf_get_socket_uid(skb);
	bpf_map_update_elem(&dns_local_answers, &t, &uid, BPF_ANY);
}

static __always_inline void copy_dns(struct __sk_buff *skb, __u32 off, struct dns_query *q)
{
	if (skb->len < off + 8 + 12)
		return;
	__u32 len = skb->len - off - 8;
	if (len > DNS_MAX)
		len = DNS_MAX;
	struct dns_record *r = bpf_ringbuf_reserve(&dns_records, sizeof(*r), 0);
	if (!r) {
		count_lost(LOST_DNS_RING, 1);
		return;
	}
	__builtin_memset(r, 0, __builtin_offsetof(struct dns_record, data));
	r->hdr.kind = RECORD_DNS;
	r->len = len;
	r->query_len = q->len;
	bpf_probe_read_kernel(r->query, sizeof(r->query), q->msg);
	/* read back, so that the bounds below are on the register the helper gets */
	__u32 n = *(volatile __u32 *)&r->len;
	if (n < 12 || n > DNS_MAX || bpf_skb_load_bytes(skb, off + 8, r->data, n)) {
		bpf_ringbuf_discard(r, 0);
		return;
	}
	bpf_ringbuf_submit(r, ring_flags(&dns_records));
}

static __always_inline void on_dns_answer(struct __sk_buff *skb, __u32 off)
{
	struct dns_query_key k;
	if (read_dns_tuple(skb, off, false, &k.t))
		return;
	k.cookie = bpf_get_socket_cookie(skb);
	struct dns_query *q = bpf_map_lookup_elem(&dns_queries, &k);
	if (!q) {
		count_lost(DNS_UNASKED, 1);
		return;
	}
	__u32 *local = bpf_map_lookup_elem(&dns_local_answers, &k.t);
	if (local && *local == q->uid)
		count_lost(DNS_SELF, 1);
	else
		copy_dns(skb, off, q);
	if (local)
		bpf_map_delete_elem(&dns_local_answers, &k.t);
	bpf_map_delete_elem(&dns_queries, &k); /* one answer per query */
}

static __always_inline void udp_egress(struct __sk_buff *skb, __u32 off)
{
	__u16 sport, dport;
	if (udp_ports(skb, off, &sport, &dport))
		return;
	if (dport == bpf_htons(DNS_PORT))
		note_dns_query(skb, off);
	else if (sport == bpf_htons(DNS_PORT))
		note_local_answer(skb, off);
}

static __always_inline void udp_ingress(struct __sk_buff *skb, __u32 off)
{
	__u16 sport, dport;
	if (!udp_ports(skb, off, &sport, &dport) && sport == bpf_htons(DNS_PORT))
		on_dns_answer(skb, off);
}

static __always_inline void raw_peer(struct __sk_buff *skb, bool egress)
{
	struct bpf_sock *sk = skb->sk;
	if (sk && (sk = bpf_sk_fullsock(sk)))
		note_raw_peer(skb, sk, egress);
}

SEC("cgroup_skb/egress")
int skb_egress(struct __sk_buff *skb)
{
	__u32 off = 0;
	int proto = l4_proto(skb, &off);
	if (proto == IPPROTO_UDP)
		udp_egress(skb, off);
	else if (proto != IPPROTO_TCP)
		raw_peer(skb, true);
	return 1;
}

SEC("cgroup_skb/ingress")
int skb_ingress(struct __sk_buff *skb)
{
	__u32 off = 0;
	int proto = l4_proto(skb, &off);
	if (proto == IPPROTO_UDP)
		udp_ingress(skb, off);
	else if (proto != IPPROTO_TCP)
		raw_peer(skb, false);
	return 1;
}

/* A cookie at birth, for the kprobe set, which can only read one: a cookie
 * made after the socket's first counted byte would key its flow twice. */
SEC("cgroup/sock_create")
int sock_create(struct bpf_sock *ctx)
{
	bpf_get_socket_cookie(ctx);
	return 1;
}

SEC("cgroup/sock_release")
int sock_release(struct bpf_sock *ctx)
{
	if (ctx->family == AF_INET || ctx->family == AF_INET6) {
		__u64 cookie = bpf_get_socket_cookie(ctx);
		mark_closed(cookie);
		if (peers_in_hash)
			bpf_map_delete_elem(&peers, &cookie);
	}
	return 1;
}

/* d_path by hand (bpf_d_path needs LSM or fentry): components leaf first.
 * The offset lives in the record, not a register, so that the verifier does
 * not track its range across iterations and can prune the loop's states. */
static __always_inline void read_exe_path(struct exec_record *r, struct file *file)
{
	struct dentry *d = file->f_path.dentry;
	struct vfsmount *vfs = file->f_path.mnt;
	struct mount *mnt = container_of(vfs, struct mount, mnt);

	for (int i = 0; i < MAX_PATH_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		struct dentry *root = BPF_CORE_READ(vfs, mnt_root);
		if (d == root || d == parent) {
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
			if (up == mnt || d != root)
				return; /* the root of the whole tree */
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
			vfs = &up->mnt;
			continue;
		}
		const unsigned char *name = BPF_CORE_READ(d, d_name.name);
		__u32 off = r->path_len;
		long n = bpf_probe_read_kernel_str(&r->path[off & (PATH_BUF_LEN - 1)], PATH_NAME_MAX, name);
		if (n <= 0)
			return;
		r->path_len = off + n;
		r->path_depth++;
		if (r->path_len >= PATH_BUF_LEN) {
			r->path_truncated = 1;
			return;
		}
		d = parent;
	}
	r->path_truncated = 1;
}

static __always_inline void *reserve(__u64 size)
{
	void *r = bpf_ringbuf_reserve(&records, size, 0);
	if (!r)
		count_lost(LOST_RINGBUF, 1);
	return r;
}

/* What user space needs to say whether the path can be trusted to name the file. */
static __always_inline void note_exe_trust(struct exec_record *r, struct task_struct *p, struct file *file)
{
	struct mnt_namespace *ns = BPF_CORE_READ(p, nsproxy, mnt_ns);
	struct mount *mnt = container_of(file->f_path.mnt, struct mount, mnt);

	r->mnt_ns = BPF_CORE_READ(ns, ns.inum);
	if (BPF_CORE_READ(mnt, mnt_ns) != ns)
		r->exe_flags |= EXE_NO_MOUNT;
	if (BPF_CORE_READ(file, f_inode, i_nlink) == 0)
		r->exe_flags |= EXE_UNLINKED;
}

/* Everything before path is sent, args beyond args_len too, and the slot
 * still holds this CPU's previous record. clang does not inline a memset
 * this large; volatile keeps it from turning the loop into one. */
static __always_inline void clear_args(struct exec_record *r)
{
	volatile __u64 *w = (volatile __u64 *)r->args;
	for (int i = 0; i < ARGS_LEN / 8; i++)
		w[i] = 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 zero = 0;
	struct exec_record *r = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!r)
		return 0;
	/* path is sent only up to path_len, all of which read_exe_path writes */
	__builtin_memset(r, 0, __builtin_offsetof(struct exec_record, args));
	clear_args(r);
	r->hdr.kind = RECORD_EXEC;
	r->hdr.pid = p->tgid;
	r->ppid = p->real_parent->tgid;
	r->uid = (__u32)bpf_get_current_uid_gid();
	r->start_ns = p->start_boottime;
	bpf_get_current_comm(r->comm, sizeof(r->comm));

	struct file *file = bprm->file;
	struct inode *inode = file->f_inode;
	r->ino = inode->i_ino;
	r->dev = inode->i_sb->s_dev;
	read_exe_path(r, file);
	note_exe_trust(r, p, file);

	struct mm_struct *mm = p->mm;
	unsigned long start = mm->arg_start, end = mm->arg_end;
	__u32 len = end > start ? end - start : 0;
	if (len >= ARGS_LEN)
		len = ARGS_LEN - 1;
	len &= ARGS_LEN - 1;
	if (bpf_probe_read_user(r->args, len, (void *)start) == 0)
		r->args_len = len;

	__u64 size = r->path_len;
	if (size > PATH_BUF_LEN + PATH_NAME_MAX)
		size = PATH_BUF_LEN + PATH_NAME_MAX;
	if (bpf_ringbuf_output(&records, r, __builtin_offsetof(struct exec_record, path) + size, ring_flags(&records)))
		count_lost(LOST_RINGBUF, 1);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child)
{
	if (child->pid != child->tgid) /* a new thread, not a new process */
		return 0;
	struct fork_record *r = reserve(sizeof(*r));
	if (!r)
		return 0;
	__builtin_memset(r, 0, sizeof(*r));
	r->hdr.kind = RECORD_FORK;
	r->hdr.pid = child->tgid;
	r->ppid = parent->tgid;
	bpf_ringbuf_submit(r, ring_flags(&records));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf, struct task_struct *p)
{
	if (p->pid != p->tgid)
		return 0;
	struct record_header *r = reserve(sizeof(*r));
	if (!r)
		return 0;
	r->kind = RECORD_EXIT;
	r->pid = p->tgid;
	bpf_ringbuf_submit(r, ring_flags(&records));
	return 0;
}
