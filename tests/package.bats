#!/usr/bin/env bats
# The Debian package (debian/, make deb): lintian, and the .deb installed,
# run, removed, purged and upgraded in a throwaway Debian 12 root made by
# mmdebstrap from Debian's archive, never this machine's own /usr.

setup() {
	load helpers
	load package_helpers
	BG_PIDS=()
	require_package_tools
	DEB=$(build_deb) || fail "make deb failed"
}

teardown() {
	if [[ -n "${ROOT:-}" ]]; then
		wrapper_in_root stop >/dev/null 2>&1 || true
	fi
	kill_background
	remove_root
}

@test "make deb: one package with every tool, the wrapper, man pages, completions, the unit and a conffile" {
	run dpkg-deb -c "$DEB"
	assert_success
	local t m
	for t in "$SNITCH_ROOT"/tools/snitch-*.cpp; do
		t=$(basename "$t" .cpp)
		assert_line --regexp "^-rwxr-xr-x .* \./usr/bin/$t$"
		assert_line --regexp " \./usr/share/bash-completion/completions/$t$"
		assert_line --regexp " \./usr/share/zsh/vendor-completions/_$t$"
		assert_line --regexp " \./usr/share/fish/vendor_completions.d/$t\.fish$"
	done
	assert_line --regexp "^-rwxr-xr-x .* \./usr/bin/picosnitch$"
	for m in "$SNITCH_ROOT"/man/*.[157]; do
		m=$(basename "$m")
		assert_line --regexp " \./usr/share/man/man${m##*.}/$m\.gz$"
	done
	assert_line --regexp " \./lib/systemd/system/picosnitch\.service$"
	assert_line --regexp "^-rw-r--r-- root/root .* \./etc/xdg/autostart/picosnitch-notify\.desktop$"
	for m in "$SNITCH_ROOT"/web/*; do
		[[ -e $m ]] || continue
		assert_line --regexp " \./usr/share/picosnitch/web/$(basename "$m")$"
	done
	if [[ -d $SNITCH_ROOT/web ]]; then
		assert_line --regexp " \./usr/share/picosnitch/web/chart\.js -> (\.\./)*(/usr/share/)?javascript/chart\.js/chart\.min\.js$"
	fi
	assert_line --regexp " \./usr/share/doc/picosnitch/copyright$"
	assert_line --regexp " \./usr/share/doc/picosnitch/changelog\.gz$"
	assert_line --regexp "^-rw------- root/root .* \./etc/picosnitch/config\.json$"
	run dpkg-deb -f "$DEB" Version
	assert_output "$(cat "$SNITCH_ROOT/VERSION")"
	run dpkg-deb --info "$DEB" conffiles
	assert_output "$(printf '%s\n' /etc/picosnitch/config.json /etc/xdg/autostart/picosnitch-notify.desktop | sort)"
}

@test "lintian: no error, and every warning fixed or overridden with a reason" {
	local changes=${DEB%.deb}.changes
	run lintian --fail-on error,warning --display-level '>=warning' "$changes"
	assert_success
	refute_output --regexp '^[EW]: '
	# an override without a comment saying why is itself a defect
	if [[ -f $SNITCH_ROOT/debian/picosnitch.lintian-overrides ]]; then
		run awk '/^[^#]/ && prev !~ /^#/ { print "no reason: " $0 } { prev = $0 }' "$SNITCH_ROOT/debian/picosnitch.lintian-overrides"
		assert_output ''
	fi
}

@test "installed in a Debian 12 root: version, man page, completions, enabled unit, system user" {
	make_root "$DEB"
	run install_in_root "$DEB"
	assert_success
	run in_root picosnitch version
	assert_success
	refute_output --partial 'not installed'
	assert_line --regexp "^  snitch-trace .*$(cat "$SNITCH_ROOT/VERSION")"
	run in_root man -w picosnitch
	assert_output /usr/share/man/man1/picosnitch.1.gz
	run in_root man -w 5 picosnitch-config
	assert_success
	run in_root bash -c '. /usr/share/bash-completion/completions/picosnitch && complete -p picosnitch'
	assert_success
	# enabled as Debian enables daemons (README.Debian says how to turn it off)
	run readlink "$ROOT/etc/systemd/system/multi-user.target.wants/picosnitch.service"
	assert_output /lib/systemd/system/picosnitch.service
	run in_root getent passwd picosnitch
	assert_success
	assert_output --regexp ':/usr/sbin/nologin$'
	[[ $(in_root id -u picosnitch) -lt 1000 ]] || fail "picosnitch is not a system user"
	run in_root stat -c '%U %a' /etc/picosnitch/config.json
	assert_output 'root 600'
	assert [ -f "$ROOT/usr/share/doc/picosnitch/README.Debian" ]
}

@test "apt remove keeps configuration and log; apt purge removes them and the system user" {
	make_root "$DEB"
	install_in_root "$DEB"
	local db conf=$ROOT/etc/picosnitch/config.json
	db=$(root_db)
	[[ -n $db ]] || fail "picosnitch status names no database"
	in_root install -d -m 0700 "$(dirname "$db")"
	in_root snitch-store --quiet --db "$db" <"$SNITCH_ROOT/tests/fixtures/view-events.jsonl"
	jq '."DB retention (days)" = 30' "$conf" >"$conf.new" && cat "$conf.new" >"$conf" && rm "$conf.new"
	run in_root apt-get remove -y -q picosnitch
	assert_success
	assert [ ! -e "$ROOT/usr/bin/picosnitch" ]
	assert [ ! -e "$ROOT/usr/bin/snitch-store" ]
	run jq '."DB retention (days)"' "$conf"
	assert_output 30
	run in_root sqlite3 -readonly "$db" "SELECT count(*) FROM connection_log WHERE exe = '/usr/bin/curl'"
	[[ $output -ge 1 ]] || fail "apt remove lost the log: $output"
	run in_root getent passwd picosnitch
	assert_success
	run in_root apt-get purge -y -q picosnitch
	assert_success
	assert [ ! -e "$ROOT/etc/picosnitch" ]
	assert [ ! -e "$ROOT/var/lib/picosnitch" ]
	assert [ ! -e "$ROOT$db" ]
	run in_root getent passwd picosnitch
	assert_failure
	run in_root getent group picosnitch
	assert_failure
	run in_root dpkg-query -W -f '${Status}' picosnitch
	refute_output --partial installed
}

@test "installed in a Debian 12 root: the wrapper runs the pipeline and a connection is logged" {
	require_ebpf
	make_root "$DEB"
	install_in_root "$DEB"
	run wrapper_in_root start
	assert_success
	connect_from_root
	run wrapper_in_root stop
	assert_success
	local db
	db=$(root_db)
	[[ -n $db ]] || fail "picosnitch status names no database"
	run logged_to_port "$db"
	assert_success
	[[ $output -ge 1 ]] || fail "no connection to port $PORT in $db: $output"
}

@test "apt remove stops the daemon and keeps configuration and log; apt purge removes them and the user" {
	require_ebpf
	make_root "$DEB"
	install_in_root "$DEB"
	wrapper_in_root start
	connect_from_root
	local db pids
	db=$(root_db)
	local conf=$ROOT/etc/picosnitch/config.json
	jq '."DB retention (days)" = 30' "$conf" >"$conf.new" && cat "$conf.new" >"$conf" && rm "$conf.new"
	run in_root apt-get remove -y -q picosnitch
	assert_success
	pids=$(for p in /proc/[0-9]*; do [[ $(readlink "$p/root") == "$ROOT" ]] && cat "$p/comm"; done 2>/dev/null | grep -E 'snitch|picosnitch' || true)
	[[ -z $pids ]] || fail "still running after apt remove: $pids"
	assert [ ! -e "$ROOT/usr/bin/picosnitch" ]
	assert [ ! -e "$ROOT/usr/bin/snitch-trace" ]
	run jq '."DB retention (days)"' "$conf"
	assert_output 30
	run logged_to_port "$db"
	[[ $output -ge 1 ]] || fail "the log lost the connection on remove: $output"
	run in_root apt-get purge -y -q picosnitch
	assert_success
	assert [ ! -e "$ROOT/etc/picosnitch" ]
	assert [ ! -e "$ROOT/var/lib/picosnitch" ]
	assert [ ! -e "$ROOT/var/log/picosnitch" ]
	assert [ ! -e "$ROOT$db" ]
	run in_root getent passwd picosnitch
	assert_failure
	run in_root dpkg-query -W -f '${Status}' picosnitch
	refute_output --partial installed
}

@test "an upgrade from the previous version keeps configuration and log; the log's schema is migrated" {
	local old db conf rows
	old=$(older_deb "$DEB") || fail "could not repack $DEB"
	make_root "$DEB"
	conf=$ROOT/etc/picosnitch/config.json
	run install_in_root "$old"
	assert_success
	db=$(root_db)
	[[ -n $db ]] || fail "picosnitch status names no database"
	in_root install -d -m 0700 "$(dirname "$db")"
	# the log as a release with schema 2 left it: no rollup yet
	in_root sqlite3 "$db" <"$VERSION_4_SQL"
	rows=$(in_root sqlite3 -readonly "$db" "SELECT count(*) FROM connections")
	[[ $rows -ge 1 ]] || fail "nothing logged: $rows"
	in_root sqlite3 "$db" "$AS_VERSION_2"
	jq '."DB retention (days)" = 30' "$conf" >"$conf.new" && cat "$conf.new" >"$conf" && rm "$conf.new"
	run install_in_root "$DEB"
	assert_success
	refute_output --partial 'conffile'
	run in_root dpkg-query -W -f '${Version}' picosnitch
	assert_output "$(cat "$SNITCH_ROOT/VERSION")"
	run jq '."DB retention (days)"' "$conf"
	assert_output 30
	run in_root snitch-store --quiet --db "$db" --init-schema
	assert_success
	run in_root sqlite3 -readonly "$db" "PRAGMA user_version"
	assert_output 6
	run in_root sqlite3 -readonly "$db" "SELECT count(*) FROM connections"
	assert_output "$rows"
	run in_root sqlite3 -readonly "$db" "SELECT count(*) FROM rollup"
	[[ $output -ge 1 ]] || fail "the migration built no rollup: $output"
}
