# Cleave: `make demo` shows the compiler on the examples, `make test` runs every test.

SWIFT ?= swift
CLEAVE := .build/debug/cleave
EXAMPLES := $(wildcard Examples/*/*.clv)
# `make install`: the compiler and its runtime under $(PREFIX)/lib/cleave, `cleave` in $(PREFIX)/bin.
PREFIX ?= /usr/local
CONFIGURATION ?= release

.PHONY: all deps build demo test fuzz bench lint format clean install uninstall

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

demo: build
	@for f in $(EXAMPLES); do \
		printf 'cleave check %-40s ' "$$f"; \
		$(CLEAVE) check "$$f" && echo ok || exit 1; \
	done
	@echo
	@mkdir -p out
	@echo '--- cleave check on a program with mistakes (exit code 1 expected)'
	@sed -E 's@ *// expected-(error|warning|note)[^ ]* \{\{.*\}\}$$@@' Tests/Diagnostics/demo_mistakes.clv > out/mistakes.clv
	@$(CLEAVE) check out/mistakes.clv; test $$? -eq 1
	@echo
	@echo '=== the main job: Examples/kv/kv.clv, one source, three targets'
	@echo
	@echo '--- cleave build Examples/kv/kv.clv --target unikernel -o out/kv --emit-c out/kv-c'
	@$(CLEAVE) build Examples/kv/kv.clv --target unikernel -o out/kv --emit-c out/kv-c
	@echo 'out/kv: every state in one process, one thread (the generated C: out/kv-c/kv.c, '"$$(wc -l < out/kv-c/kv.c)"' lines)'
	@echo
	@echo '--- cleave build Examples/kv/kv.clv --target isolated --print-policy -o out/kv.d'
	@$(CLEAVE) build Examples/kv/kv.clv --target isolated --print-policy -o out/kv.d
	@echo "out/kv.d: $$(ls out/kv.d | tr '\n' ' ')(the launcher run, and one executable per component)"
	@echo
	@echo '--- cleave build Examples/kv/kv.clv --target image -o out/kv.img'
	@$(CLEAVE) build Examples/kv/kv.clv --target image -o out/kv.img
	@echo "out/kv.img: a bootable x86-64 ELF of $$(wc -c < out/kv.img) bytes (no OS, no C library; Cleave's own stack on virtio-net)"
	@echo
	@echo '--- all three started on free ports (the image in QEMU) and asked the same questions over UDP'
	@python3 scripts/demo-targets.py out/kv out/kv.d/run out/kv.img
	@echo
	@echo '--- the dataflow graph: cleave graph Examples/kv/kv.clv -o out/kv.dot'
	@$(CLEAVE) graph Examples/kv/kv.clv -o out/kv.dot
	@$(CLEAVE) graph --stage components Examples/kv/kv.clv -o out/kv-components.dot
	@if command -v dot >/dev/null; then \
		dot -Tsvg out/kv.dot -o out/kv.svg && dot -Tsvg out/kv-components.dot -o out/kv-components.svg && \
		echo 'out/kv.dot, rendered as out/kv.svg; its components and channels: out/kv-components.dot and .svg'; \
	else \
		echo 'out/kv.dot and out/kv-components.dot (install Graphviz for SVG)'; \
	fi
	@echo
	@echo '=== the state-locality passes on seed 000'"'"'s loop: cleave dump --stage components Examples/smoltcp-loop'
	@$(CLEAVE) dump --stage components Examples/smoltcp-loop
	@$(CLEAVE) build --target isolated Examples/smoltcp-loop -o out/smoltcp-loop.d
	@echo "its isolated build: out/smoltcp-loop.d ($$(ls out/smoltcp-loop.d | tr '\n' ' '))"

# The tests run with a temporary directory of their own, which must hold nothing of Cleave's
# (cleave-*) when they end; what SwiftPM keeps there is its own. After them, every fuzzer runs
# for FUZZ_TEST_SECONDS from a fixed seed (the builds it needs take longer than that).
FUZZ_TEST_SECONDS ?= 3
test: deps lint
	$(SWIFT) build --build-tests
	@t=$$(mktemp -d); TMPDIR=$$t $(SWIFT) test --skip-build; status=$$?; \
	TMPDIR=$$t python3 scripts/fuzz/fuzz.py all --seconds $(FUZZ_TEST_SECONDS) --seed 1 || status=1; \
	left=$$(ls -A $$t | grep '^cleave'); rm -rf $$t; \
	if [ -n "$$left" ]; then echo "make test: the tests left this in the temporary directory: $$left"; exit 1; fi; \
	exit $$status

# Every input surface fuzzed (scripts/fuzz/README.md): sources, datagrams, captures, frames,
# channel messages, kernel command lines and frames of an image, zone files and TCP streams,
# FUZZ_SECONDS each, from FUZZ_SEED (default: one from the clock, printed).
# Failing inputs are kept under Tests/Fuzz/found/; the tests replay them.
FUZZ_SECONDS ?= 60
FUZZ_SEED ?=
fuzz: build
	python3 scripts/fuzz/fuzz.py all --seconds $(FUZZ_SECONDS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

# Served throughput against hand-written C servers (unikernel and isolated), kv on Cleave's
# own stack over a TAP (as root), the bootable image in QEMU (size, boot time, served speed),
# the channels against a pipe, and compile time: Benchmarks/results/.
bench: build
	python3 Benchmarks/run.py --isolated
	python3 Benchmarks/tap.py
	python3 Benchmarks/image.py
	python3 Benchmarks/dns.py
	python3 Benchmarks/tcp.py
	python3 Benchmarks/channel.py
	python3 Benchmarks/compile_time.py

# Style: swift-format with the checked-in .swift-format; `make format` rewrites in place.
lint:
	$(SWIFT) format lint --strict -r Sources Grammar Passes Tests Package.swift

format:
	$(SWIFT) format -i -r Sources Grammar Passes Tests Package.swift

# The compiler and its runtime (the C sources `cleave build` compiles with a program) go to
# $(PREFIX)/lib/cleave, side by side as the compiler expects; $(PREFIX)/bin/cleave links to it.
install: deps
	$(SWIFT) build -c $(CONFIGURATION)
	install -d $(DESTDIR)$(PREFIX)/lib/cleave $(DESTDIR)$(PREFIX)/bin
	install -m 755 "$$($(SWIFT) build -c $(CONFIGURATION) --show-bin-path)/cleave" $(DESTDIR)$(PREFIX)/lib/cleave/cleave
	rm -rf $(DESTDIR)$(PREFIX)/lib/cleave/Cleave_CleaveRuntime.resources
	cp -R "$$($(SWIFT) build -c $(CONFIGURATION) --show-bin-path)/Cleave_CleaveRuntime.resources" $(DESTDIR)$(PREFIX)/lib/cleave/
	ln -sf ../lib/cleave/cleave $(DESTDIR)$(PREFIX)/bin/cleave
	@echo "installed: $(DESTDIR)$(PREFIX)/bin/cleave"

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/lib/cleave $(DESTDIR)$(PREFIX)/bin/cleave

clean:
	rm -rf .build
