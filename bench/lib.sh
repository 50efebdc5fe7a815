# shellcheck shell=bash
# Shell functions shared by the bench scripts and by the bats suites
# (tests/helpers.bash): the library in tests/lib, one file a concern, and what
# is left here. Sourced by bash.
for _lib in "$(dirname "${BASH_SOURCE[0]}")"/../tests/lib/*.bash; do
	# shellcheck source=/dev/null
	source "$_lib"
done
unset _lib

# How tests and bench start snitch-trace: $SNITCH_TRACE (else the one on PATH)
# with ARGS, and with --hooks $SNITCH_TRACE_HOOKS when that is set and ARGS
# force no set of their own (the VM lab runs each suite once per hook set).
# Sets the array TRACE_CMD; run it as "${TRACE_CMD[@]}" (then $! is its pid).
lib_trace_command() { # ARGS...
	TRACE_CMD=("${SNITCH_TRACE:-snitch-trace}")
	local a forced=0
	for a in "$@"; do [[ $a == --hooks || $a == --hooks=* ]] && forced=1; done
	if [[ -n "${SNITCH_TRACE_HOOKS:-}" && $forced -eq 0 ]]; then
		TRACE_CMD+=(--hooks "$SNITCH_TRACE_HOOKS")
	fi
	TRACE_CMD+=("$@")
}

# A peer host: network namespace $1 behind the veth pair $2 (host side) and
# $3 (peer side); $4 picks the subnets 10.253.$4.0/24 and fd00:5e:$4::/64.
# Sets PEER_NS HOST_VETH PEER_VETH HOST4 PEER4 HOST6 PEER6.
lib_peer_up() { # NS HOST_VETH PEER_VETH N
	PEER_NS=$1 HOST_VETH=${2:0:15} PEER_VETH=${3:0:15}
	HOST4="10.253.$4.1" PEER4="10.253.$4.2" HOST6="fd00:5e:$4::1" PEER6="fd00:5e:$4::2"
	ip netns add "$PEER_NS"
	ip link add "$HOST_VETH" type veth peer name "$PEER_VETH"
	ip link set "$PEER_VETH" netns "$PEER_NS"
	ip addr add "$HOST4/24" dev "$HOST_VETH"
	ip -6 addr add "$HOST6/64" dev "$HOST_VETH" nodad
	ip link set "$HOST_VETH" up
	ip netns exec "$PEER_NS" ip addr add "$PEER4/24" dev "$PEER_VETH"
	ip netns exec "$PEER_NS" ip -6 addr add "$PEER6/64" dev "$PEER_VETH" nodad
	ip netns exec "$PEER_NS" ip link set "$PEER_VETH" up
	ip netns exec "$PEER_NS" ip link set lo up
}

lib_peer_down() {
	[[ -n "${PEER_NS:-}" ]] || return 0
	ip netns pids "$PEER_NS" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip link del "$HOST_VETH" 2>/dev/null || true
	ip netns del "$PEER_NS" 2>/dev/null || true
	PEER_NS=
}

# Runs a command that needs the tracepoints with tracefs mounted in a mount
# namespace of its own (unshare and sh exec it: $! is its pid).
# shellcheck disable=SC2034 # used by the scripts that source this file
LIB_TRACEFS=(unshare -m sh -c 'mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing; exec "$@"' sh)

# The ids of the BPF programs process PID holds (by program or link fd).
lib_bpf_prog_ids() { # PID
	sed -n 's/^prog_id:[[:space:]]*//p' /proc/"$1"/fdinfo/* 2>/dev/null | sort -un
}

# The "sent=N recv=M" figure a netgen run printed (0 when absent).
lib_field() { # FILE sent|recv
	local v
	v=$(sed -n "s/.*$2=\([0-9]*\).*/\1/p" "$1" 2>/dev/null | tail -1)
	echo "${v:-0}"
}

# A container: its own network namespace behind a veth with NAT (nftables
# masquerade) out of the host veth $OUT_VETH, its own pid and mount
# namespaces (lib_container_run), a root filesystem on a tmpfs at $DIR/rootfs
# holding /app/NAME, and its own cgroup. N picks the subnet 10.252.N.0/24.
# Sets CTR_NS CTR_ROOT CTR_CGROUP CTR_CGROUP_DIR CTR_HV CTR_TABLE CTR_FORWARD.
lib_container_up() { # DIR N OUT_VETH PROGRAM NAME
	local dir=$1 n=$2 out_veth=$3
	CTR_NS="snitch-ctr-$$-$n" CTR_TABLE="snitch_ctr_$n" CTR_HV="snc$n-$$"
	CTR_HV=${CTR_HV:0:15}
	ip netns add "$CTR_NS"
	ip link add "$CTR_HV" type veth peer name eth0 netns "$CTR_NS"
	ip addr add "10.252.$n.1/24" dev "$CTR_HV"
	ip link set "$CTR_HV" up
	ip netns exec "$CTR_NS" ip addr add "10.252.$n.2/24" dev eth0
	ip netns exec "$CTR_NS" ip link set eth0 up
	ip netns exec "$CTR_NS" ip link set lo up
	ip netns exec "$CTR_NS" ip route add default via "10.252.$n.1"
	CTR_FORWARD=$(sysctl -n net.ipv4.ip_forward)
	sysctl -qw net.ipv4.ip_forward=1
	nft -f - <<-NFT
	table ip $CTR_TABLE {
		chain post { type nat hook postrouting priority 100; ip saddr 10.252.$n.0/24 oifname "$out_veth" masquerade; }
	}
	NFT
	CTR_ROOT="$dir/rootfs"
	mkdir -p "$CTR_ROOT"
	mount -t tmpfs ctr-root "$CTR_ROOT"
	mkdir -p "$CTR_ROOT"/{app,usr,lib,lib64,old,proc}
	cp "$4" "$CTR_ROOT/app/$5"
	CTR_CGROUP="/snitch-ctr-$$-$n"
	CTR_CGROUP_DIR="$(findmnt -n -o TARGET -t cgroup2 | head -1)$CTR_CGROUP"
	mkdir "$CTR_CGROUP_DIR"
}

# Runs /app/NAME ARGS inside the container: its cgroup, its network namespace,
# new pid and mount namespaces, pivoted into its root.
lib_container_run() { # NAME ARGS...
	CTR_ROOT="$CTR_ROOT" CTR_CGROUP_DIR="$CTR_CGROUP_DIR" CTR_NS="$CTR_NS" sh -c '
		echo 0 >"$CTR_CGROUP_DIR/cgroup.procs" &&
		exec ip netns exec "$CTR_NS" unshare --pid --mount --fork --propagation private sh -c "
			cd \"\$0\" && for d in usr lib lib64; do mount --rbind /\$d \$d; done &&
			pivot_root . old && mount -t proc proc /proc && umount -l /old && n=\$1 && shift && exec \"/app/\$n\" \"\$@\"" "$CTR_ROOT" "$@"
	' sh "$@"
}

lib_container_down() {
	[[ -n "${CTR_NS:-}" ]] || return 0
	ip netns pids "$CTR_NS" 2>/dev/null | xargs -r kill 2>/dev/null || true
	umount -l "$CTR_ROOT" 2>/dev/null || true
	nft delete table ip "$CTR_TABLE" 2>/dev/null || true
	ip link del "$CTR_HV" 2>/dev/null || true
	ip netns del "$CTR_NS" 2>/dev/null || true
	[[ -n "${CTR_FORWARD:-}" ]] && sysctl -qw net.ipv4.ip_forward="$CTR_FORWARD"
	rmdir "$CTR_CGROUP_DIR" 2>/dev/null || true
	CTR_NS=
}
