# Cleave: `make demo` shows the compiler on the examples, `make test` runs every test.

SWIFT ?= swift
CLEAVE := .build/debug/cleave
EXAMPLES := $(wildcard Examples/*/*.clv)

.PHONY: all deps build demo test lint format clean

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
	@echo '--- cleave dump --stage typed Examples/kv/kv.clv'
	@$(CLEAVE) dump --stage typed Examples/kv/kv.clv
	@echo
	@echo '--- cleave check on a program with mistakes (exit code 1 expected)'
	@$(CLEAVE) check Tests/Diagnostics/demo_mistakes.clv; test $$? -eq 1
	@echo
	@echo '--- cleave check --explain-states Examples/kv/kv.clv'
	@$(CLEAVE) check --explain-states Examples/kv/kv.clv
	@echo
	@echo '--- cleave dump --stage ir Examples/kv/kv.clv'
	@$(CLEAVE) dump --stage ir Examples/kv/kv.clv
	@mkdir -p out
	@$(CLEAVE) graph Examples/kv/kv.clv -o out/kv.dot
	@dot -Tsvg out/kv.dot -o out/kv.svg
	@echo '--- the dataflow graph of kv: out/kv.dot, rendered as out/kv.svg' 

test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Style: swift-format with the checked-in .swift-format; `make format` rewrites in place.
lint:
	$(SWIFT) format lint --strict -r Sources Grammar Passes Tests Package.swift

format:
	$(SWIFT) format -i -r Sources Grammar Passes Tests Package.swift

clean:
	rm -rf .build
