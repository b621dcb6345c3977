# Cleave: `make demo` shows the compiler on the examples, `make test` runs every test.

SWIFT ?= swift
CLEAVE := .build/debug/cleave
EXAMPLES := $(wildcard Examples/*/*.clv)

.PHONY: all deps build demo test bench lint format clean

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
	@echo '--- cleave check on a program with mistakes (exit code 1 expected)'
	@$(CLEAVE) check Tests/Diagnostics/demo_mistakes.clv; test $$? -eq 1
	@echo
	@echo '--- cleave check --explain-states Examples/kv/kv.clv'
	@$(CLEAVE) check --explain-states Examples/kv/kv.clv
	@mkdir -p out
	@$(CLEAVE) graph Examples/kv/kv.clv -o out/kv.dot
	@dot -Tsvg out/kv.dot -o out/kv.svg
	@echo
	@echo '--- the dataflow graph of kv: out/kv.dot, rendered as out/kv.svg'
	@echo
	@echo '--- cleave build Examples/kv/kv.clv --target unikernel -o out/kv --emit-c out/kv-c'
	@$(CLEAVE) build Examples/kv/kv.clv --target unikernel -o out/kv --emit-c out/kv-c
	@echo 'the generated C: out/kv-c/kv.c ('"$$(wc -l < out/kv-c/kv.c)"' lines); the service: out/kv'
	@echo
	@echo '--- out/kv, asked over UDP'
	@python3 scripts/demo-kv.py out/kv
	@echo
	@echo '--- the state-locality passes on seed 000'"'"'s loop: cleave dump --stage components Examples/smoltcp-loop'
	@$(CLEAVE) dump --stage components Examples/smoltcp-loop
	@$(CLEAVE) graph --stage components Examples/smoltcp-loop -o out/smoltcp-components.dot
	@dot -Tsvg out/smoltcp-components.dot -o out/smoltcp-components.svg 2>/dev/null
	@echo 'its components and channels: out/smoltcp-components.svg; each component'"'"'s program: cleave dump --stage projected'
	@echo
	@echo '--- cleave build --from-stage projected Examples/kv/kv.clv -o out/kv-projected (device and store as components)'
	@$(CLEAVE) build --from-stage projected Examples/kv/kv.clv -o out/kv-projected
	@python3 scripts/demo-kv.py out/kv-projected

test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Served throughput against hand-written C servers, and compile time: Benchmarks/results/.
bench: build
	python3 Benchmarks/run.py
	python3 Benchmarks/compile_time.py

# Style: swift-format with the checked-in .swift-format; `make format` rewrites in place.
lint:
	$(SWIFT) format lint --strict -r Sources Grammar Passes Tests Package.swift

format:
	$(SWIFT) format -i -r Sources Grammar Passes Tests Package.swift

clean:
	rm -rf .build
