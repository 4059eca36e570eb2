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
	ffmpeg chromium

PKGS := nice glib-2.0 gio-2.0 openssl libsrtp2 libmicrohttpd jansson \
	libavcodec libavformat libavutil libswscale libswresample x264 opus

CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes $(SANFLAGS)
CPPFLAGS += -I. -D_GNU_SOURCE
LDFLAGS += $(SANFLAGS)

# Folders that become one static archive each; listed so that a module may
# call into the folders after it, and linked as a group.
LIB_DIRS := signaling recorder mixer codecs mcu
lib_srcs = $(filter-out mcu/main.c,$(wildcard $(1)/*.c $(1)/*/*.c))
ARCHIVES := $(foreach d,$(LIB_DIRS),$(if $(call lib_srcs,$(d)),$(BUILD)/lib$(d).a))
UNIT_SRCS := $(wildcard tests/unit/*_test.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HEADERS := $(wildcard mcu/*.h signaling/*.h mixer/*.h codecs/*.h recorder/*.h)

.PHONY: all deps build-all run test check-headers clean
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

LINK_ARCHIVES = -Wl,--start-group $(ARCHIVES) -Wl,--end-group

$(BUILD)/mcu: $(BUILD)/obj/mcu/main.o $(ARCHIVES)
	$(CC) $(LDFLAGS) -o $@ $< $(LINK_ARCHIVES) $(LDLIBS)

$(BUILD)/tests/%_test: $(BUILD)/obj/tests/unit/%_test.o $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LINK_ARCHIVES) $(TEST_LDLIBS) $(LDLIBS)

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

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
