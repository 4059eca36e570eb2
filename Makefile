# The MCU's one Makefile. `make` installs missing Debian packages (deps),
# then builds build/mcu; `make run` starts it with configs/mcu.conf;
# `make test` runs the whole suite (SAN=1: under ASan + UBSan, in build-san/).

SHELL := /bin/bash
CONFIG ?= configs/mcu.conf

ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

# Debian packages the build, the server and the tests need. `make deps`
# installs the missing ones and nothing else.
DEB_PKGS := build-essential pkg-config \
	libnice-dev libglib2.0-dev libssl-dev libsrtp2-dev libmicrohttpd-dev \
	libjansson-dev libavcodec-dev libavformat-dev libavutil-dev \
	libswscale-dev libswresample-dev libx264-dev libopus-dev libcmocka-dev \
	libcurl4-openssl-dev ffmpeg chromium nftables iproute2 coturn python3-aiortc \
	gstreamer1.0-tools gstreamer1.0-plugins-good

PKGS := nice glib-2.0 gio-2.0 openssl libsrtp2 libmicrohttpd jansson libcurl \
	libavcodec libavformat libavutil libswscale libswresample x264 opus

CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes $(SANFLAGS)
CPPFLAGS += -I. -D_GNU_SOURCE
LDFLAGS += $(SANFLAGS)

# Folders that become one static archive each, in layer order: a module
# calls only into its own folder and the folders after it (the layering
# check, tests/layering.sh, keeps it so), so they link in this order with
# no --start-group. mcu/main.c, the program, stands above them all. A
# folder's subfolders (mcu/net/) go into its archive: they are layers of
# their own in the check, below their parent, so the order holds.
LIB_DIRS := signaling mcu mixer recorder codecs base
lib_srcs = $(filter-out mcu/main.c,$(wildcard $(1)/*.c $(1)/*/*.c))
ARCHIVES := $(foreach d,$(LIB_DIRS),$(if $(call lib_srcs,$(d)),$(BUILD)/lib$(d).a))
UNIT_SRCS := $(wildcard tests/unit/*_test.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HEADERS := $(wildcard $(LIB_DIRS:%=%/*.h) $(LIB_DIRS:%=%/*/*.h))

.PHONY: all deps build-all run test check-headers clean bench
.DEFAULT_GOAL := all

all: deps
	@$(MAKE) --no-print-directory build-all

deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# Node may come from another packaging that bundles npm: ask for Debian's
	@# only when the commands are missing.
	@command -v node >/dev/null && command -v npm >/dev/null || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
	@if [ ! -d tests/integ/node_modules/playwright-core ]; then \
		echo "deps: npm ci in tests/integ"; \
		cd tests/integ && npm ci --no-audit --no-fund --loglevel=error; \
	fi

# Objects live under $(BUILD)/obj so that the binary $(BUILD)/mcu cannot
# collide with the folder of mcu/'s objects.
# Everything below runs with deps present, so pkg-config may be asked.
ifneq ($(filter build-all test-all check-headers $(BUILD)/%,$(MAKECMDGOALS)),)
CPPFLAGS += $(shell pkg-config --cflags $(PKGS))
LDLIBS += $(shell pkg-config --libs $(PKGS)) -lpthread -lm
TEST_LDLIBS := $(shell pkg-config --libs cmocka)
endif

build-all: $(BUILD)/mcu $(UNIT_BINS) check-headers

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

define archive_rule
$(BUILD)/lib$(1).a: $(patsubst %.c,$(BUILD)/obj/%.o,$(call lib_srcs,$(1)))
	@rm -f $$@
	$(AR) rcs $$@ $$^
endef
$(foreach d,$(LIB_DIRS),$(eval $(call archive_rule,$(d))))

# The pages the server serves are built into assets.o (.incbin).
$(BUILD)/obj/signaling/assets.o: $(wildcard signaling/www/*)

LINK_ARCHIVES = $(ARCHIVES)

$(BUILD)/mcu: $(BUILD)/obj/mcu/main.o $(ARCHIVES)
	$(CC) $(LDFLAGS) -o $@ $< $(LINK_ARCHIVES) $(LDLIBS)

$(BUILD)/tests/%_test: $(BUILD)/obj/tests/unit/%_test.o $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LINK_ARCHIVES) $(TEST_LDLIBS) $(LDLIBS)

# The tests of the SDP modules (sdp, sdpanswer, sdprtp) share their offers
# and helpers: tests/unit/sdpfixture.c.
$(BUILD)/tests/sdp_test $(BUILD)/tests/sdpanswer_test $(BUILD)/tests/sdprtp_test: \
		$(BUILD)/obj/tests/unit/sdpfixture.o
# So do the mixer's (mix, mixaudio, mixvideo): tests/unit/mixfixture.c.
$(BUILD)/tests/mix_test $(BUILD)/tests/mixaudio_test $(BUILD)/tests/mixvideo_test: \
		$(BUILD)/obj/tests/unit/mixfixture.o
# And the DTLS session's (dtls, dtlsinput): tests/unit/dtlsfixture.c.
$(BUILD)/tests/dtls_test $(BUILD)/tests/dtlsinput_test: $(BUILD)/obj/tests/unit/dtlsfixture.o
# And the RTCP module's (rtcp, rtcptrip, rtcpread): tests/unit/rtcpfixture.c.
$(BUILD)/tests/rtcp_test $(BUILD)/tests/rtcptrip_test $(BUILD)/tests/rtcpread_test: \
		$(BUILD)/obj/tests/unit/rtcpfixture.o
# And the recorder's (recorder, recorderfail): tests/unit/recorderfixture.c.
$(BUILD)/tests/recorder_test $(BUILD)/tests/recorderfail_test: $(BUILD)/obj/tests/unit/recorderfixture.o
# And the H.264 packetizer's (h264pkt, h264depack): tests/unit/h264pktfixture.c.
$(BUILD)/tests/h264pkt_test $(BUILD)/tests/h264depack_test: $(BUILD)/obj/tests/unit/h264pktfixture.o
# And the registry's and the room's: a participant kind, tests/unit/partfixture.c.
$(BUILD)/tests/registry_test $(BUILD)/tests/room_test: $(BUILD)/obj/tests/unit/partfixture.o
# And the plain-RTP endpoint's (rtpep, rtpepin): tests/unit/rtpepfixture.c.
$(BUILD)/tests/rtpep_test $(BUILD)/tests/rtpepin_test: $(BUILD)/obj/tests/unit/rtpepfixture.o

# Headers stand alone: each compiles by itself.
check-headers: $(HEADERS:%.h=$(BUILD)/hdr/%.ok)
$(BUILD)/hdr/%.ok: %.h
	@mkdir -p $(dir $@)
	@echo '#include "$<"' | $(CC) $(CPPFLAGS) $(CFLAGS) -x c -fsyntax-only - && touch $@

run: all
	$(BUILD)/mcu -c $(CONFIG)

test: deps
	@$(MAKE) --no-print-directory build-all
	@$(MAKE) --no-print-directory test-all

test-all:
	@BUILD=$(BUILD) SAN=$(SAN) tests/run.sh

# ---- Fuzzing (STYLE.md 15): tests/fuzz/<target>.c, corpus in
# tests/fuzz/corpus/<target>/. Each target links the archives in layer
# order, from which the linker takes only the objects it calls. `make
# build-all` links each with tests/fuzz/replay.c (gcc, SANFLAGS under
# SAN=1) into $(BUILD)/tests/fuzz_<target>, which tests/run.sh runs on its
# corpus. `make fuzz` builds them with clang + libFuzzer into $(BUILD)/fuzz/
# and runs each for FUZZ_SECONDS; what it finds goes to $(BUILD)/fuzz/new/
# and $(BUILD)/fuzz/crashes/, never into the checked-in corpus.
FUZZ_TARGETS := $(filter-out replay,$(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*.c)))
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz_%)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60
FUZZ_CC := clang
FUZZ_CFLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -g -O1 -std=gnu11 -Wall -Wextra
FUZZ_ARCHIVES := $(foreach d,$(LIB_DIRS),$(if $(call lib_srcs,$(d)),$(BUILD)/fuzz/lib$(d).a))
FUZZ_DEB_PKGS := clang libclang-rt-14-dev

.PHONY: fuzz
build-all: $(FUZZ_REPLAYS)

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/fuzz/obj/signaling/assets.o: $(wildcard signaling/www/*)

define fuzz_archive_rule
$(BUILD)/fuzz/lib$(1).a: $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(call lib_srcs,$(1)))
	@rm -f $$@
	$(AR) rcs $$@ $$^
endef
$(foreach d,$(LIB_DIRS),$(eval $(call fuzz_archive_rule,$(d))))

# $(1): target. The replay binary (gcc) and the libFuzzer one (clang).
define fuzz_rule
$(BUILD)/tests/fuzz_$(1): $(BUILD)/obj/tests/fuzz/$(1).o $(BUILD)/obj/tests/fuzz/replay.o $(ARCHIVES)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $$(LINK_ARCHIVES) $$(LDLIBS)
$(BUILD)/fuzz/$(1): $(BUILD)/fuzz/obj/tests/fuzz/$(1).o $(FUZZ_ARCHIVES)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ $$(filter %.o,$$^) $$(FUZZ_ARCHIVES) $$(LDLIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

# Installs clang and its runtimes only here: `make test` needs gcc alone.
fuzz: deps
	@missing=$$(for p in $(FUZZ_DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "fuzz: installing" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzzers.sh $(FUZZ_TARGETS)

# ---- Benchmark (issue #7, docs/BENCHMARKS.md). `make bench` installs
# gnuplot-nox if missing (the plot; nothing else needs it), builds $(BUILD)/mcu,
# the load generator and the codec-parts meter (tests/bench/, linked with the
# project's archives), then tests/bench/bench.mjs makes the media once into
# $(BUILD)/bench/media, runs the scenarios against $(BUILD)/mcu, the ffmpeg
# peer and the isolated codec costs, and appends a table to
# docs/BENCHMARKS.md with a plot beside it. About 9 minutes on a quiet
# 2-core machine.
BENCH_DEB_PKGS := gnuplot-nox
BENCH_LOADGEN_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(addprefix tests/bench/,\
	loadgen.c lgmedia.c lgnet.c lghttp.c lgproc.c))
BENCH_PARTS_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,tests/bench/parts.c tests/bench/lgmedia.c)

$(BUILD)/bench/loadgen: $(BENCH_LOADGEN_OBJS) $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(BENCH_LOADGEN_OBJS) $(LINK_ARCHIVES) $(LDLIBS)

$(BUILD)/bench/parts: $(BENCH_PARTS_OBJS) $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(BENCH_PARTS_OBJS) $(LINK_ARCHIVES) $(LDLIBS)

bench: deps
	@missing=$$(for p in $(BENCH_DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "bench: installing" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@t0=$$(date +%s.%N); \
	$(MAKE) --no-print-directory $(BUILD)/mcu $(BUILD)/bench/loadgen $(BUILD)/bench/parts && \
	BENCH_T0=$$t0 BUILD=$(BUILD) node tests/bench/bench.mjs

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
