# picosnitch toolkit: `make` builds, `sudo make run` runs the pipeline, `sudo make check` runs
# every test (what CI runs), `sudo make test` only the bats suite, once.
OUTPUT    ?= .output
CXX       ?= g++
CLANG     ?= clang
BPFTOOL   ?= bpftool
PREFIX    ?= /usr/local
UNITDIR   ?= $(PREFIX)/lib/systemd/system
# the desktop session starts snitch-notify --listen from here (XDG autostart)
AUTOSTARTDIR ?= /etc/xdg/autostart
DB        ?= /var/lib/picosnitch/snitch.db
ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/;s/ppc64le/powerpc/')
VERSION   := $(shell cat VERSION)
# CI builds with warnings as errors; a developer build only warns.
WERROR    ?= $(if $(CI),-Werror,)

CXXFLAGS  ?= -O2 -g
override CXXFLAGS += -std=c++20 -Wall -Wextra $(WERROR) -MMD -MP -I$(OUTPUT) -Ilib -Ibpf \
	-DSNITCH_VERSION='"$(VERSION)"'
LDFLAGS   ?=
CPPFLAGS  ?=

# clang's own system dirs after ours, as libbpf-tools does (asm/ headers for -target bpf)
CLANG_BPF_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall $(WERROR) -Ibpf $(CLANG_BPF_SYS_INCLUDES)

TOOLS     := $(patsubst tools/%.cpp,%,$(wildcard tools/snitch-*.cpp))
BINS      := $(TOOLS:%=$(OUTPUT)/bin/%)
LIB_SRC   := $(wildcard lib/*/*.cpp)
LIB_OBJ   := $(LIB_SRC:lib/%.cpp=$(OUTPUT)/lib/%.o)
LIBSNITCH := $(OUTPUT)/libsnitch.a
SKELS     := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(wildcard bpf/*.bpf.c))

# Each tool links only the C libraries it uses; lib/ objects come from the archive on demand.
LDLIBS_snitch-trace  := -lbpf -lelf -lz
LDLIBS_snitch-hash   := -lcrypto -lsimdjson
LDLIBS_snitch-store  := -lsqlite3 -lpq -lsimdjson
LDLIBS_snitch-view   := -lncursesw -lsqlite3 -lpq
LDLIBS_snitch-notify := -lsystemd
LDLIBS_snitch-vt     := -lcurl -lsqlite3 -lcrypto -lsimdjson
LDLIBS_snitch-web    := -lcpp-httplib -lsqlite3 -lpq -lncursesw -pthread
# Debian's cpp-httplib is a shared library: its users compile with its flags.
HTTPLIB_CFLAGS := $(shell pkg-config --cflags cpp-httplib 2>/dev/null)
$(OUTPUT)/lib/web/server.o: override CXXFLAGS += $(HTTPLIB_CFLAGS)

# snitch-web's page: web/ and Debian's Chart.js, beside bin/ as installed.
CHARTJS   ?= /usr/share/javascript/chart.js/chart.min.js
WEB_DIR   := $(OUTPUT)/share/picosnitch/web
WEB_OUT   := $(patsubst web/%,$(WEB_DIR)/%,$(wildcard web/*)) $(WEB_DIR)/chart.js

# Debian 12 packages for building, running and testing everything.
DEPS := clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev g++ make pkg-config \
	libcli11-dev nlohmann-json3-dev libsimdjson-dev libssl-dev libsqlite3-dev sqlite3 \
	libpq-dev postgresql libcurl4-openssl-dev libncurses-dev libsystemd-dev dbus \
	bats bats-assert bats-support jq tmux iproute2 iputils-ping python3 procps util-linux \
	socat man-db groff-base shellcheck zsh fish python3-dbus python3-gi strace dnsmasq-base nftables openssl bc \
	nethogs libbpf-tools bpftrace libclang-rt-14-dev qemu-system-x86 busybox-static kmod
# bench timings (bench/*.sh, tests/lib/stats.bash)
DEPS += hyperfine
# snitch-web: its HTTP library, Chart.js, and a browser for its tests
DEPS += libcpp-httplib-dev libjs-chart.js chromium fonts-dejavu-core python3-pil
# make deb and tests/package.bats
DEPS += debhelper dpkg-dev lintian mmdebstrap

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all tools deb deps deps-if-missing run check test bench install uninstall clean vmlinux \
	sanitize check-sanitize fuzz fuzz-build check-kernels
.DELETE_ON_ERROR:
.SECONDARY:

TEST_BINS := $(patsubst tests/%.cpp,$(OUTPUT)/tests/%,$(wildcard tests/*.cpp))
# Unit tests of lib/ pieces, linked against the archive; tests/unit.bats runs them.
UNIT_BINS := $(patsubst tests/unit/%.cpp,$(OUTPUT)/tests/unit/%,$(wildcard tests/unit/*.cpp))

all: tools $(TEST_BINS) $(UNIT_BINS)
# What make install installs: the tools and snitch-web's page.
tools: $(BINS) $(WEB_OUT)

$(WEB_DIR):
	$(Q)mkdir -p $@
$(WEB_DIR)/%: web/% | $(WEB_DIR)
	$(Q)cp $< $@
$(WEB_DIR)/chart.js: $(CHARTJS) | $(WEB_DIR)
	$(Q)cp $< $@

$(OUTPUT) $(OUTPUT)/bin $(OUTPUT)/tools $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c bpf/%.h bpf/vmlinux.h $(wildcard bpf/*.bpf.h) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(OUTPUT)/lib/%.o: lib/%.cpp | $(SKELS)
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D) && $(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(LIBSNITCH): $(LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) qcs $@ $^

$(OUTPUT)/tools/%.o: tools/%.cpp | $(OUTPUT)/tools $(SKELS)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(OUTPUT)/bin/%: $(OUTPUT)/tools/%.o $(LIBSNITCH) | $(OUTPUT)/bin
	$(call msg,LINK,$@)
	$(Q)$(CXX) $(LDFLAGS) $< $(LIBSNITCH) $(LDLIBS_$*) -o $@

$(OUTPUT)/tests/%: tests/%.cpp | $(OUTPUT)/tests
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(CXXFLAGS) $< -o $@

$(OUTPUT)/tests/unit/%: tests/unit/%.cpp $(LIBSNITCH)
	$(call msg,UNIT,$@)
	$(Q)mkdir -p $(@D) && $(CXX) $(CXXFLAGS) $(LDFLAGS) $< $(LIBSNITCH) -lbpf -lelf -lz -o $@

-include $(wildcard $(OUTPUT)/lib/*/*.d $(OUTPUT)/tools/*.d $(OUTPUT)/tests/*.d $(OUTPUT)/tests/unit/*.d)

# Installs only what is missing; needs root when anything is.
deps:
	$(Q)missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		[ "$$(id -u)" -eq 0 ] || { echo "make deps: run as root to install:" $$missing >&2; exit 1; }; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)mkdir -p $(dir $(DB))
	PICOSNITCH_DB="$(DB)" sh tools/picosnitch run

# The suite, then the suite under sanitizers, then fuzzing, then the VM lab (tests/check-all).
check: deps
	$(Q)sh tests/check-all

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh tests/run

# The VM lab: each kernel of tests/lab/kernels (Debian 12's own) under QEMU on
# this machine's root, the snitch-trace suites and the short matrix in it once
# per hook set that kernel must load (tests/lab/check-kernels).
check-kernels: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/lab/check-kernels

# The same suite against an AddressSanitizer + UndefinedBehaviorSanitizer
# build of its own; every report (also LeakSanitizer's, also from a stage in
# the background) fails the run (tests/run, SANITIZER_LOG_DIR).
ASAN_OUTPUT ?= .output-asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

sanitize: deps
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(ASAN_OUTPUT) CXXFLAGS="-O1 -g $(SAN_FLAGS)" \
		LDFLAGS="$(SAN_FLAGS)" all $(ASAN_OUTPUT)/bin/picosnitch $(ASAN_OUTPUT)/systemd

check-sanitize: sanitize
	$(Q)TEST_BUILD_DIR=$(ASAN_OUTPUT) SANITIZER_LOG_DIR=$(ASAN_OUTPUT)/sanitizer-logs sh tests/run

# The wrapper finds its stages next to itself, its unit template in ../systemd.
# A copy, not a link: `picosnitch systemd` refuses a wrapper reached through a link.
$(OUTPUT)/bin/picosnitch: tools/picosnitch | $(OUTPUT)/bin
	$(Q)rm -f $@ && install -m 0755 $< $@
$(OUTPUT)/systemd: | $(OUTPUT)
	$(Q)ln -sfn ../systemd $@

# libFuzzer targets (fuzz/*.cpp) built with clang into a directory of their
# own; `make fuzz` runs each for FUZZ_SECONDS (CI: 30, so that the VM lab fits the 90 minutes).
FUZZ_OUTPUT  ?= .output-fuzz
FUZZ_SECONDS ?= $(if $(CI),30,10)
FUZZ_CXX     ?= clang++-14
FUZZ_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TARGETS := $(patsubst fuzz/%.cpp,$(OUTPUT)/fuzz/%,$(wildcard fuzz/*.cpp))
FUZZ_LDLIBS  := -lsimdjson -lsqlite3 -lpq -lcrypto -lcurl -lsystemd -lncursesw

fuzz-build: $(FUZZ_TARGETS)
-include $(wildcard $(OUTPUT)/fuzz/*.d)

$(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

$(OUTPUT)/fuzz/%: fuzz/%.cpp fuzz/fuzz_input.hpp $(LIBSNITCH) | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CXX) $(CXXFLAGS) -fsanitize=fuzzer $< $(LIBSNITCH) $(FUZZ_LDLIBS) -o $@

fuzz: deps
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(FUZZ_OUTPUT) CXX=$(FUZZ_CXX) \
		CXXFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_FLAGS)" fuzz-build
	$(Q)sh fuzz/run $(FUZZ_OUTPUT) $(FUZZ_SECONDS)

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh bench/run.sh

install: tools
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/vendor-completions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/picosnitch/web $(DESTDIR)$(AUTOSTARTDIR)
	install -m 0644 desktop/picosnitch-notify.desktop $(DESTDIR)$(AUTOSTARTDIR)/
	install -m 0755 $(BINS) tools/picosnitch $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(WEB_OUT) $(DESTDIR)$(PREFIX)/share/picosnitch/web/
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	$(if $(wildcard man/*.5),install -m 0644 $(wildcard man/*.5) $(DESTDIR)$(PREFIX)/share/man/man5/)
	$(if $(wildcard man/*.7),install -m 0644 $(wildcard man/*.7) $(DESTDIR)$(PREFIX)/share/man/man7/)
	$(foreach f,$(wildcard completions/*.bash),install -m 0644 $(f) $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$(notdir $(f:.bash=));)
	$(if $(wildcard completions/_*),install -m 0644 $(wildcard completions/_*) $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/)
	$(if $(wildcard completions/*.fish),install -m 0644 $(wildcard completions/*.fish) $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/)
	sed 's|^ExecStart=/usr/local/bin/|ExecStart=$(PREFIX)/bin/|' systemd/picosnitch.service \
		> $(DESTDIR)$(UNITDIR)/picosnitch.service

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(PREFIX)/bin/%) $(DESTDIR)$(PREFIX)/bin/picosnitch \
		$(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man1/%,$(wildcard man/*.1)) \
		$(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man5/%,$(wildcard man/*.5)) \
		$(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man7/%,$(wildcard man/*.7)) \
		$(patsubst completions/%.bash,$(DESTDIR)$(PREFIX)/share/bash-completion/completions/%,$(wildcard completions/*.bash)) \
		$(patsubst completions/%,$(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/%,$(wildcard completions/_*)) \
		$(patsubst completions/%,$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/%,$(wildcard completions/*.fish)) \
		$(DESTDIR)$(UNITDIR)/picosnitch.service $(DESTDIR)$(AUTOSTARTDIR)/picosnitch-notify.desktop
	rm -rf $(DESTDIR)$(PREFIX)/share/picosnitch/web

# The Debian package (debian/): dpkg-buildpackage in a copy of what it is
# built from (DEB_TREE) under $(OUTPUT)/deb, so that nothing is written beside
# the checkout and the developer's build is left alone; rebuilt only when one
# of those files changed.
DEB_TREE    := Makefile VERSION bpf lib tools man completions systemd desktop debian $(wildcard web)
DEB_VERSION := $(shell dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null)
DEB_ARCH    := $(shell dpkg --print-architecture 2>/dev/null)
DEB         := $(OUTPUT)/deb/picosnitch_$(DEB_VERSION)_$(DEB_ARCH).deb
# No -dbgsym package unless asked for (make deb DEB_BUILD_OPTIONS=): it takes
# as long to pack as the tools take to link.
DEB_BUILD_OPTIONS ?= noautodbgsym

deb: $(DEB)
$(DEB): $(shell find $(DEB_TREE) -type f)
	$(call msg,DPKG,$@)
	$(Q)rm -rf $(OUTPUT)/deb && mkdir -p $(OUTPUT)/deb/picosnitch
	$(Q)tar -c $(DEB_TREE) | tar -x -C $(OUTPUT)/deb/picosnitch
	$(Q)cd $(OUTPUT)/deb/picosnitch && DEB_BUILD_OPTIONS="parallel=2 $(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -b -us -uc >../build.log 2>&1 || { tail -n 40 ../build.log >&2; exit 1; }
	$(Q)rm -rf $(OUTPUT)/deb/picosnitch

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > bpf/vmlinux.h

clean:
	rm -rf $(OUTPUT) $(ASAN_OUTPUT) $(FUZZ_OUTPUT)
