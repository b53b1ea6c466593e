# queuelab: `make play` to try it, `make test` to check everything.
SHELL := /bin/bash
PORT ?= 8080
WASM_PKG := web/pkg/queuelab_wasm_bg.wasm

# --out-dir is relative to the crate (wasm/), so ../web/pkg is web/pkg.
# --mode no-install: use the wasm-bindgen that `make setup` installed; never download one.
# --no-opt: Debian's binaryen (wasm-opt 108, and binaryen up to at least 120)
#   rebinds the `__wbindgen_externrefs` export onto the funcref table, and the
#   page then dies at start-up with "WebAssembly.Table.set(): Argument 1 is
#   invalid for table". The unoptimised output is correct; scripts/check-pkg.mjs
#   loads it in Node after every build so a broken package never gets served.
WASM_PACK_BUILD := wasm-pack build wasm --release --target web --mode no-install --no-opt --no-pack --out-dir ../web/pkg

.PHONY: setup build play test test-rust test-wasm test-e2e test-node bench bench-web fuzz clean

setup:
	@./scripts/setup.sh

build: setup
	$(WASM_PACK_BUILD)
	@rm -f web/pkg/.gitignore web/pkg/package.json web/pkg/README.md
	@node scripts/check-pkg.mjs web/pkg
	@node scripts/vendor.mjs

play: build
	@node scripts/serve.mjs --port $(PORT)

test: setup test-rust test-wasm test-e2e test-node

test-rust:
	cargo test --workspace

test-wasm: setup
	wasm-pack test --headless --chrome wasm

test-e2e: build
	npx playwright test --config tests/playwright.config.mjs

# The built package in Node: hostile input to every Playground method (seeded;
# HOSTILE_SEED=n HOSTILE_CALLS=n for another run). Ends with node's summary.
test-node: build
	node --test --test-reporter=spec tests/node/*.test.mjs

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
# then the whole NSQ reference model (core/benches/nsq.rs: FINs and kernel events per second);
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

clean:
	cargo clean
	rm -rf web/pkg web/vendor test-results playwright-report
