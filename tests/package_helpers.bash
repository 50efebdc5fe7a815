# The Debian package in a throwaway Debian 12 root (tests/package.bats).
# The package is built with Debian's flags (make deb), never a sanitizer's:
# the sanitizer run of the suite tests the same .deb, which make then finds
# up to date. Base roots (mmdebstrap) are kept in $PKG_CACHE between runs;
# each test gets an overlay on a base root.
PKG_CACHE=${PKG_CACHE:-/var/cache/picosnitch-test}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
require_package_tools() {
	require_root "a chroot with mounts (mmdebstrap, overlayfs)"
	local t
	for t in mmdebstrap lintian dpkg-buildpackage dh; do
		command -v "$t" >/dev/null || skip_or_fail "$t is not installed (make deps)"
	done
}

# make deb; prints the package's path.
build_deb() {
	make -C "$SNITCH_ROOT" --no-print-directory deb >&2 || return 1
	local v a
	v=$(dpkg-parsechangelog -l "$SNITCH_ROOT/debian/changelog" -S Version)
	a=$(dpkg --print-architecture)
	printf '%s\n' "$SNITCH_ROOT/.output/deb/picosnitch_${v}_${a}.deb"
}

# The .deb repacked at a version just below its own (~old sorts first): the
# previous release to upgrade from, made in a second instead of a build.
older_deb() { # DEB
	local dir=$BATS_TEST_TMPDIR/older v
	rm -rf "$dir" && mkdir -p "$dir" && dpkg-deb -R "$1" "$dir/pkg" || return 1
	v=$(dpkg-deb -f "$1" Version)~old
	sed -i "s/^Version: .*/Version: $v/" "$dir/pkg/DEBIAN/control"
	dpkg-deb -b -Zgzip -z1 "$dir/pkg" "$dir/picosnitch_${v}.deb" >/dev/null || return 1
	printf '%s\n' "$dir/picosnitch_${v}.deb"
}

# The names of the packages a .deb depends on and recommends.
deb_needs() { # DEB
	dpkg-deb -f "$1" Depends Recommends | sed 's/^[A-Za-z-]*: //' | tr ',' '\n' |
		sed 's/|.*//; s/(.*)//; s/ //g' | grep . | sort -u
}

# A Debian 12 root with what the package needs already installed (so that
# installing it reads nothing from the network), made once per set of needs.
base_root() { # DEB
	local needs key dir
	needs=$(deb_needs "$1" | tr '\n' ',')man-db,sqlite3
	key=$(printf 'bookworm %s' "$needs" | sha256sum | cut -c1-12)
	dir="$PKG_CACHE/bookworm-$key"
	if [[ ! -d $dir/usr ]]; then
		mkdir -p "$PKG_CACHE" && rm -rf "$dir.tmp" || return 1
		mmdebstrap --quiet --variant=apt --include="$needs" bookworm "$dir.tmp" "$DEBIAN_MIRROR" >&2 || return 1
		mv "$dir.tmp" "$dir"
	fi
	printf '%s\n' "$dir"
}

# $ROOT: an overlay on the base root, with /proc, /sys (eBPF, cgroups) and /dev.
make_root() { # DEB
	local base
	base=$(base_root "$1") || return 1
	ROOT="$BATS_TEST_TMPDIR/root"
	mkdir -p "$ROOT" "$BATS_TEST_TMPDIR/upper" "$BATS_TEST_TMPDIR/work"
	mount -t overlay overlay -o "lowerdir=$base,upperdir=$BATS_TEST_TMPDIR/upper,workdir=$BATS_TEST_TMPDIR/work" "$ROOT" || return 1
	mount -t proc proc "$ROOT/proc"
	mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys"
	mount --bind /dev "$ROOT/dev"
	export ROOT
}

# Stops whatever runs from $ROOT and unmounts it.
remove_root() {
	[[ -n "${ROOT:-}" ]] || return 0
	local p
	for p in /proc/[0-9]*; do
		[[ $(readlink "$p/root" 2>/dev/null) == "$ROOT" ]] && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	sleep 0.2
	umount -R "$ROOT" 2>/dev/null || umount -lR "$ROOT"
	ROOT=
}

# A command in $ROOT as root, with a clean environment.
in_root() {
	chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# The installed wrapper with the unit's environment (its Environment= lines):
# the daemon as the unit runs it, where systemd cannot run.
wrapper_in_root() {
	local unit=$ROOT/lib/systemd/system/picosnitch.service
	# shellcheck disable=SC2046 # one NAME=VALUE word per line
	in_root env $(sed -n 's/^Environment=//p' "$unit" 2>/dev/null) picosnitch "$@"
}

# apt-get install of a local .deb inside $ROOT.
install_in_root() { # DEB
	cp "$1" "$ROOT/tmp/" || return 1
	in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$1")"
}

# The database the installed wrapper logs to (picosnitch status).
root_db() {
	wrapper_in_root status | sed -n 's/^database: *//p' | sed 's/ (.*//'
}

# A TCP connection from a program in $ROOT to a listener on loopback; sets PORT.
connect_from_root() {
	PORT=$((20000 + RANDOM % 20000))
	socat -u "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr" - >/dev/null 2>&1 3>&- &
	BG_PIDS+=("$!")
	sleep 0.2
	in_root bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'hello from the package root' >&3 && sleep 1"
}

# Rows of the log in $ROOT for the connection to $PORT.
logged_to_port() { # DB
	in_root sqlite3 -readonly "$1" "SELECT count(*) FROM connection_log WHERE rport = $PORT"
}
