# tests/lab/vm-run itself, on the first kernel of tests/lab/kernels; run by
# tests/lab/check-kernels (not by tests/run: each test boots a VM).
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

setup() {
	VM_RUN="$BATS_TEST_DIRNAME/vm-run"
	cd "$BATS_TEST_DIRNAME/../.." || return 1
}

@test "vm-run: the command runs as root on the package's kernel, here, with this environment, its status and both streams come back" {
	local mark="$PWD/.vm-run-mark-$$"
	LAB_WORD='two words' run --separate-stderr "$VM_RUN" -- bash -c '
		echo "cwd=$PWD uid=$(id -u) word=$LAB_WORD cpus=$(nproc) package=$VM_RUN_PACKAGE"
		echo "kernel=$(uname -r) host-root=$([[ -x .output/bin/snitch-trace ]] && echo yes)"
		for m in /proc /sys /dev /tmp /run /sys/fs/cgroup /sys/fs/bpf /sys/kernel/tracing /sys/kernel/debug; do
			echo "mount $m $(findmnt -n -o FSTYPE "$m")"
		done
		modprobe sctp && grep -q "^sctp " /proc/modules && echo "module sctp"
		ip -o link show lo | grep -q "UP" && echo "lo up"
		echo "process substitution $(cat <(echo works))"
		touch "$0" && echo written
		echo "to stderr" >&2
		exit 7' "$mark"
	assert_equal "$status" 7
	assert_line "cwd=$PWD uid=0 word=two words cpus=2 package=${lines[0]##*package=}"
	[[ ${lines[0]##*package=} =~ ^linux-image-[0-9.]+-[0-9]+-amd64-unsigned$ ]]
	assert_line --regexp '^kernel=[0-9.]+-[0-9]+-amd64 host-root=yes$'
	assert_line "mount /proc proc"
	assert_line "mount /sys sysfs"
	assert_line "mount /dev devtmpfs"
	assert_line "mount /tmp tmpfs"
	assert_line "mount /run tmpfs"
	assert_line "mount /sys/fs/cgroup cgroup2"
	assert_line "mount /sys/fs/bpf bpf"
	assert_line "mount /sys/kernel/tracing tracefs"
	assert_line "mount /sys/kernel/debug debugfs"
	assert_line "module sctp"
	assert_line "lo up"
	assert_line "process substitution works"
	assert_line written
	assert_equal "$stderr" "to stderr"
	# the VM writes to its overlay, never to this machine
	[[ ! -e $mark ]]
}

@test "vm-run: a VM that does not finish in time is stopped: exit 125, the console's tail on stderr" {
	run --separate-stderr "$VM_RUN" --timeout 60 -- sleep 600
	assert_equal "$status" 125
	[[ $stderr == *"did not finish within 60 s; the console's tail:"$'\n'"  | ["*"] "* ]]
}

@test "vm-run: bad usage and an unknown package fail with 125 and a reason, without booting" {
	run --separate-stderr "$VM_RUN" true
	assert_equal "$status" 125
	[[ $stderr == "vm-run: usage: vm-run [--kernel PACKAGE] [--timeout SECONDS] -- COMMAND [ARG...]" ]]
	run --separate-stderr "$VM_RUN" --timeout soon -- true
	assert_equal "$status" 125
	[[ $stderr == *"--timeout wants whole seconds"* ]]
	run --separate-stderr "$VM_RUN" --kernel linux-image-no-such-NN-amd64 -- true
	assert_equal "$status" 125
	[[ $stderr == *"no package matches linux-image-no-such-NN-amd64"* ]]
}
