#!/usr/bin/env bash
# Builds the engine's WebAssembly modules (`make build` runs it).
#
# One module per system, because an embed should load only the engine it
# shows (core/src/gate.rs: NSQ and Kafka are cargo features):
#   web/pkg/go/     Go channels only                   (a Go embed loads this)
#   web/pkg/nsq/    Go and NSQ                         (an NSQ embed)
#   web/pkg/kafka/  Go and Kafka                       (a Kafka embed)
#   web/pkg/        everything: a scenario with both NSQ and Kafka, compare
#                   mode, the Node tests and the npm package's default
# web/engines.js picks one for each scenario. Sizes on 2026-12-07 (gzip -9,
# KB = 1024 bytes): go 214 KB, nsq 354 KB, kafka 346 KB, full 479 KB.
#
# Two lanes at once (2 cores; each build's LTO step is single-threaded), each
# with its own cargo target directory (cargo locks one per build).
# wasm-pack: see the Makefile (binaryen 132 first on PATH, opt-level "s").
# Each .wasm gets its .br and .gz beside it (scripts/precompress.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."

npm_bin="$PWD/node_modules/.bin"
test -x "$npm_bin/wasm-opt" || { echo "build: $npm_bin/wasm-opt is missing: run make setup (npm ci installs binaryen)" >&2; exit 1; }
target="${CARGO_TARGET_DIR:-$PWD/target}"
logs="$target/wasm-logs"
mkdir -p "$logs"

# build <name> <out-dir> <target-dir> [cargo feature flags...]
build() {
  local name=$1 out=$2 tdir=$3
  shift 3
  if ! PATH="$npm_bin:$PATH" CARGO_TARGET_DIR="$tdir" CARGO_PROFILE_RELEASE_OPT_LEVEL=s \
      wasm-pack build wasm --release --target web --mode no-install --no-pack --out-dir "$out" -- "$@" \
      > "$logs/$name.log" 2>&1; then
    echo "build: the $name module failed:" >&2
    cat "$logs/$name.log" >&2
    return 1
  fi
  rm -f "wasm/$out/.gitignore" "wasm/$out/package.json" "wasm/$out/README.md"
  # Brotli 11 and gzip -9 next to the .wasm, which scripts/serve.mjs sends as they are.
  node scripts/precompress.mjs "wasm/$out/queuelab_wasm_bg.wasm" >> "$logs/$name.log"
}

# --out-dir is relative to the crate (wasm/).
lane_a() {
  build full ../web/pkg "$target" && build go ../web/pkg/go "$target" --no-default-features
}
lane_b() {
  build nsq ../web/pkg/nsq "$target/wasm-b" --no-default-features --features nsq \
    && build kafka ../web/pkg/kafka "$target/wasm-b" --no-default-features --features kafka
}

echo "build: 4 wasm modules (full, go, nsq, kafka), two at a time; logs in $logs"
lane_a & a=$!
lane_b & b=$!
status=0
wait "$a" || status=1
wait "$b" || status=1
[ "$status" = 0 ] || exit 1
for m in pkg pkg/go pkg/nsq pkg/kafka; do
  node scripts/check-pkg.mjs "web/$m"
done
