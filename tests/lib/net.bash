# Real traffic: a peer host in a network namespace, a container, servers
# waited for, and what netgen reports. Needs root.

# A peer host: network namespace $PEER_NS behind a veth pair, $HOST_VETH on
# this side and $PEER_VETH inside; host $HOST_IP4 $HOST_IP6 and peer $PEER_IP4
# $PEER_IP6 on 10.A.B.0/24 and fd00:5eAA:B::/64 (AA: A in hex). A and B keep
# runs that share the machine apart (the tests take A from their suite's pid,
# the bench 253).
peer_up() { # A B
	local a=$1 b=$2 net6
	PEER_NS="snitch-peer-$$-$b" HOST_VETH="snh$b-$$" PEER_VETH="snp$b-$$"
	HOST_VETH=${HOST_VETH:0:15} PEER_VETH=${PEER_VETH:0:15}
	net6="fd00:5e$(printf %02x "$a"):$b"
	HOST_IP4="10.$a.$b.1" PEER_IP4="10.$a.$b.2" HOST_IP6="$net6::1" PEER_IP6="$net6::2"
	ip netns add "$PEER_NS"
	ip link add "$HOST_VETH" type veth peer name "$PEER_VETH"
	ip link set "$PEER_VETH" netns "$PEER_NS"
	ip addr add "$HOST_IP4/24" dev "$HOST_VETH"
	ip -6 addr add "$HOST_IP6/64" dev "$HOST_VETH" nodad
	ip link set "$HOST_VETH" up
	ip netns exec "$PEER_NS" ip addr add "$PEER_IP4/24" dev "$PEER_VETH"
	ip netns exec "$PEER_NS" ip -6 addr add "$PEER_IP6/64" dev "$PEER_VETH" nodad
	ip netns exec "$PEER_NS" ip link set "$PEER_VETH" up
	ip netns exec "$PEER_NS" ip link set lo up
	export PEER_NS HOST_VETH PEER_VETH HOST_IP4 PEER_IP4 HOST_IP6 PEER_IP6
}

peer_down() {
	[[ -n "${PEER_NS:-}" ]] || return 0
	ip netns pids "$PEER_NS" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip link del "$HOST_VETH" 2>/dev/null || true
	ip netns del "$PEER_NS" 2>/dev/null || true
	PEER_NS=
}

# A server in the background, its output to FILE, waited for until it prints
# "listening"; its pid joins BG_PIDS. peer_serve runs it in the peer.
serve_local() { # FILE CMD...
	local out=$1; shift
	"$@" >"$out" 2>&1 3>&- &
	BG_PIDS+=("$!")
	wait_for_line "$out" listening
}

peer_serve() { # FILE CMD...
	local out=$1; shift
	serve_local "$out" ip netns exec "$PEER_NS" "$@"
}

# A container: its own network namespace behind a veth with NAT (nftables
# masquerade) out of the host veth $OUT_VETH, its own pid and mount
# namespaces (container_run), a root filesystem on a tmpfs at $DIR/rootfs
# holding /app/NAME, and its own cgroup. N picks the subnet 10.252.N.0/24.
# Sets CTR_NS CTR_ROOT CTR_CGROUP CTR_CGROUP_DIR CTR_HV CTR_TABLE CTR_FORWARD.
container_up() { # DIR N OUT_VETH PROGRAM NAME
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
container_run() { # NAME ARGS...
	CTR_ROOT="$CTR_ROOT" CTR_CGROUP_DIR="$CTR_CGROUP_DIR" CTR_NS="$CTR_NS" sh -c '
		echo 0 >"$CTR_CGROUP_DIR/cgroup.procs" &&
		exec ip netns exec "$CTR_NS" unshare --pid --mount --fork --propagation private sh -c "
			cd \"\$0\" && for d in usr lib lib64; do mount --rbind /\$d \$d; done &&
			pivot_root . old && mount -t proc proc /proc && umount -l /old && n=\$1 && shift && exec \"/app/\$n\" \"\$@\"" "$CTR_ROOT" "$@"
	' sh "$@"
}

container_down() {
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

kill_background() {
	local p
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	BG_PIDS=()
}

# The "sent=N recv=M" figure a netgen run printed (0 when absent).
netgen_field() { # FILE sent|recv
	local v
	v=$(sed -n "s/.*$2=\([0-9]*\).*/\1/p" "$1" 2>/dev/null | tail -1)
	echo "${v:-0}"
}
