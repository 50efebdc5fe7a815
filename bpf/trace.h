/* Records shared by bpf/trace.bpf.c and snitch-trace: fixed widths, widest first. */
#ifndef SNITCH_TRACE_H
#define SNITCH_TRACE_H

#define TASK_COMM_LEN 16
#define PATH_BUF_LEN 4096   /* path components, leaf first, each NUL-terminated */
#define PATH_NAME_MAX 256
#define ARGS_LEN 1024
#define MAX_PATH_DEPTH 40

enum record_kind {
	RECORD_EXEC = 1,
	RECORD_FORK = 2,
	RECORD_EXIT = 3,
	RECORD_DNS = 4,     /* a DNS answer to a query this socket sent (own ring) */
};

#define DNS_MAX 1024        /* bytes of a DNS answer copied to user space */
#define DNS_QUERY_MAX 288   /* of its query: header, one question (255 + 4), room for EDNS */

/* Per-CPU counters of what the kernel side could not record. */
enum lost_counter {
	LOST_RINGBUF = 0,   /* `records` ring full: exec, fork and exit records dropped */
	LOST_FLOW_MAP = 1,  /* flow map full: traffic of new flows not counted */
	LOST_BYTES = 2,     /* bytes of those uncounted flows */
	LOST_DNS_RING = 3,  /* DNS ring full: answers to real queries dropped */
	DNS_UNASKED = 4,    /* not lost, refused: answers to no query of the receiving socket */
	DNS_SELF = 5,       /* refused: answered by a local socket of the asker's own user */
	LOST_IO_ARGS = 6,   /* kprobe set: no room to keep a call's socket until it returns: its bytes not counted */
	LOST_COUNTERS = 7,
};

/* Index of the `check` map: bytes of snitch-trace's own start-up check. */
enum check_counter {
	CHECK_TCP_SENT = 0,
	CHECK_UDP_SENT = 1,
	CHECK_TCP_RECV = 2,
	CHECK_UDP_RECV = 3,
	CHECK_COUNTERS = 4,
};

/* One socket as used by one process; an unconnected datagram socket also per peer. */
struct flow_key {
	__u64 cookie;
	__u8 peer[16];   /* remote address of an unconnected socket, else zero */
	__u32 tgid;
	__u16 peer_port; /* host order */
	__u16 pad;
};

struct flow_value {
	__u64 sent;
	__u64 recv;
	__u64 events;
	__u64 start_ns;  /* CLOCK_BOOTTIME */
	__u64 cgroup;
	__u8 laddr[16];
	__u8 raddr[16];
	__u32 netns;
	__u32 ppid;
	__u32 uid;
	__u16 family;
	__u16 protocol;
	__u16 sock_type;
	__u16 lport;     /* host order */
	__u16 rport;     /* host order */
	__u16 pad;
	char comm[TASK_COMM_LEN];
};

struct peer_addr {
	__u8 addr[16];
	__u16 port;      /* host order */
	__u16 family;
	__u32 pad;
};

struct record_header {
	__u32 kind;
	__u32 pid;
};

/* One DNS exchange over UDP as the packets carried it, seen from the client:
 * the query's destination is the answer's source. Network order. */
struct dns_tuple {
	__u8 server[16];
	__u8 client[16];
	__u16 server_port;
	__u16 client_port;
	__u16 id;
	__u16 family;
};

/* A query a local socket sent, waiting for its answer. */
struct dns_query_key {
	__u64 cookie;       /* the asking socket */
	struct dns_tuple t;
};

struct dns_query {
	__u32 uid;          /* owner of the asking socket (bpf_get_socket_uid) */
	__u32 len;          /* bytes in msg */
	__u8 msg[DNS_QUERY_MAX];
};

/* An answer to a query the receiving socket sent, from the address and port
 * the query went to, not from a local socket of the asker's own user. */
struct dns_record {
	struct record_header hdr;
	__u32 len;          /* bytes in data */
	__u32 query_len;    /* bytes in query */
	__u8 query[DNS_QUERY_MAX];
	__u8 data[DNS_MAX];
};

/* Value of the `closed` map: a TCP socket's own count of the bytes its
 * owner read (every read path, splice included), taken as it closed. */
struct close_mark {
	__u64 tcp_read;
	__u32 has_tcp;
	__u32 pad;
};

/* What the iter/tcp program writes per TCP socket of the current netns. */
struct tcp_counter {
	__u64 cookie;
	__u64 tcp_read;
};

struct fork_record {
	struct record_header hdr;
	__u32 ppid;
	__u32 pad;
};

/* Bits of exec_record.exe_flags: why the path may not name what ran. */
enum exe_flag {
	EXE_NO_MOUNT = 1,   /* on no mount of the process's namespace (memfd, an fd from elsewhere) */
	EXE_UNLINKED = 2,   /* no links left: deleted before the exec */
};

struct exec_record {
	struct record_header hdr;
	__u64 dev;       /* kernel dev_t of the executable's superblock */
	__u64 ino;
	__u64 start_ns;
	__u32 ppid;
	__u32 uid;
	__u32 mnt_ns;    /* inode of the process's mount namespace */
	__u32 exe_flags;
	__u32 path_depth;   /* components in path, leaf first */
	__u32 path_len;     /* bytes used in path */
	__u32 args_len;
	__u32 path_truncated;
	char comm[TASK_COMM_LEN];
	char args[ARGS_LEN];
	/* last, so that a record is sent only up to path_len */
	char path[PATH_BUF_LEN + PATH_NAME_MAX];
};

#endif
