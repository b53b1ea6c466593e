# queuelab: `make play` to try it, `make test` to check everything.
SHELL := /bin/bash
PORT ?= 8080
WASM_PKG := web/pkg/queuelab_wasm_bg.wasm

.PHONY: setup build play test test-rust test-wasm test-e2e bench clean

setup:
	@./scripts/setup.sh

build: setup
	wasm-pack build wasm --release --target web --out-dir ../web/pkg
	@rm -f web/pkg/.gitignore web/pkg/package.json web/pkg/README.md
	@ls -l $(WASM_PKG) | awk '{printf "built %s (%d KiB)\n", $$9, $$5/1024}'

play: build
	@node scripts/serve.mjs --port $(PORT)

test: setup test-rust test-wasm test-e2e

test-rust:
	cargo test --workspace

test-wasm:
	wasm-pack test --headless --chrome wasm

test-e2e: build
	npx playwright test --config tests/playwright.config.mjs

clean:
	cargo clean
	rm -rf web/pkg test-results playwright-report
