# queuelab: `make play` to try it, `make test` to check everything.
SHELL := /bin/bash
PORT ?= 8080
WASM_PKG := web/pkg/queuelab_wasm_bg.wasm

# scripts/build-wasm.sh builds the modules with
#   PATH="node_modules/.bin:$PATH" CARGO_PROFILE_RELEASE_OPT_LEVEL=s wasm-pack build wasm
#     --release --target web --mode no-install --no-pack --out-dir ../web/pkg[/go|/nsq|/kafka]
# --mode no-install: use the wasm-bindgen that `make setup` installed; never download one.
# wasm-opt: wasm-pack runs the first `wasm-opt` on PATH with the flags in
#   wasm/Cargo.toml ([package.metadata.wasm-pack.profile.release]). That must be
#   the npm package binaryen@132.0.0 (package.json, pinned exactly), so
#   node_modules/.bin goes first on PATH. Debian's binaryen (wasm-opt 108, and
#   binaryen up to at least 120) rebinds the `__wbindgen_externrefs` export onto
#   the funcref table, and the page then dies at start-up with
#   "WebAssembly.Table.set(): Argument 1 is invalid for table".
#   scripts/check-pkg.mjs loads the package in Node after every build, so a
#   broken package never gets served.
# opt-level "s" for the wasm build only (native benchmarks and the CLI keep the
#   release profile's 3): measured on 2026-12-04, the module goes from 1994 KiB /
#   707 KiB gzip to 1680 KiB / 584 KiB, the embed page's first frame from ~500 ms to
#   ~420 ms, and the engine in Chromium loses ~3.5 %; frame times did not move.
#   ("z" halves engine speed: not that.) The figures first written here, "7.60
#   -> 7.33 M msgs/s", were not the engine in Chromium: rebuilt on 2026-12-06,
#   that commit (887d409) gives reference 5.19 M msgs/s in Chromium against
#   7.01 M native (0.76x), as today's code does (5.32 M, 0.72x).
#   `make bench-web` prints both.
NPM_BIN := $(CURDIR)/node_modules/.bin

.PHONY: setup build docs play test test-rust test-wasm test-e2e test-node test-budget budget bench bench-web fuzz clean

setup:
	@./scripts/setup.sh

# The four engine modules (full, go, nsq, kafka: scripts/build-wasm.sh runs the
# command above for each, and checks each with scripts/check-pkg.mjs).
build: setup
	@./scripts/build-wasm.sh
	@node scripts/vendor.mjs

# The guide (an mdBook in book/, chapters with live embeds) to book/build/;
# `make play` serves it at /guide/.
docs: setup
	mdbook build book

play: build docs
	@node scripts/serve.mjs --port $(PORT)

test: setup test-rust test-wasm test-e2e test-node test-budget

# Then the Go-only engine (web/pkg/go's, core/src/gate.rs): its presets reach the
# same outcomes, trace hashes included, as in the full engine.
test-rust:
	cargo test --workspace
	cargo test -p queuelab --no-default-features --lib -- gate presets
	cargo test -p queuelab --no-default-features --features nsq --lib -- gate
	cargo test -p queuelab --no-default-features --features kafka --lib -- gate
	cargo test -p queuelab --no-default-features --test presets -- every_preset_reaches_its_expected_outcome every_preset_is_deterministic

test-wasm: setup
	wasm-pack test --headless --chrome wasm

test-e2e: build docs
	npx playwright test --config tests/playwright.config.mjs

# The built package in Node: hostile input to every Playground method (seeded;
# HOSTILE_SEED=n HOSTILE_CALLS=n for another run). Ends with node's summary.
test-node: build
	node --test --test-reporter=spec tests/node/*.test.mjs

# What an embed costs (scripts/budget.mjs): a Go embed (web/examples/embeds.html's
# first), an NSQ one and a Kafka one (the iframe page, compact view), each loading
# its system's engine module (web/engines.js). Per page: every file it loads, raw,
# gzip -9 and brotli 11 bytes and the total; median time to first frame over 5
# fresh loads in Chromium. Prints the target (300 KB gzip, 500 ms: met by the Go
# embed, not yet by NSQ's and Kafka's) and fails only above each page's ceiling
# (`path@KB`; first frame 4000 ms), a ratchet.
# `make budget BUDGET_URL=/some/page` for another page.
BUDGET_URL ?= /examples/embeds.html@251 '/embed.html\#preset=nsq-cluster&view=compact@405' '/embed.html\#preset=kafka-consumer-group&view=compact@404.5'
budget: build
	node scripts/budget.mjs $(BUDGET_URL)

test-budget: build
	node scripts/budget.mjs $(BUDGET_URL)

# The fuzzer (core/tests/fuzz.rs) for SECONDS seconds on every core, with fresh
# seeds: random scenarios with live commands, and byte-mutated presets. Prints
# cases run and failures; failures are shrunk and written to target/fuzz-failures/.
# (`make test` runs a short fixed-seed pass of the same fuzzer.)
SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(SECONDS) cargo test --profile fuzz -p queuelab --test fuzz -- --nocapture

# Native engine speed on the reference model (core/benches/reference.rs): criterion,
# then delivered msgs/s and kernel events/s with and without the trace ring, each next
# to the minimal DES (core/benches/baseline/) timed in the same runs, as a ratio; then
# the event queue alone (core/benches/kernel.rs: hold model at 10 / 100 / 10,000 events);
# then scaling (core/benches/scaling.rs: ns per message at 8 / 80 / 800 / 2000 goroutines,
# plain and select, against the minimal DES; growth over 8 and its target); then the
# timeline's seek cost (core/benches/timeline.rs: large for 1 h, worst and random seeks);
# then the nsqd server model alone (core/benches/nsqd.rs: FINs per second, a ceiling for NSQ);
# then the whole NSQ reference model (core/benches/nsq.rs: FINs and kernel events per second,
# and the minimal NSQ DES (core/benches/baseline/nsq.rs) timed in turn, as a ratio);
# then the whole Kafka reference model (core/benches/kafka.rs: records consumed and kernel events per second).
bench:
	cargo bench -p queuelab --bench reference
	cargo bench -p queuelab --bench kernel
	cargo bench -p queuelab --bench scaling
	cargo bench -p queuelab --bench timeline
	cargo bench -p queuelab --bench nsqd
	cargo bench -p queuelab --bench nsq
	cargo bench -p queuelab --bench kafka

# Frame time (advance + snapshot + draw) of the page's ?bench mode in Chromium; prints p50/p95/max.
# Then engine speed in the browser against native (tests/bench/engine.mjs, which builds and
# runs core/examples/native_speed.rs): delivered msgs/s and wasm / native, reference and large.
bench-web: build
	node tests/bench/frames.mjs

# The npm package (element, wasm, glue, types, README) as target/npm/queuelab-<version>.tgz.
pack: build
	node scripts/pack.mjs

clean:
	cargo clean
	rm -rf web/pkg web/vendor test-results playwright-report
