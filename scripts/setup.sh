#!/usr/bin/env bash
# Installs whatever the project needs and is missing; skips what is present.
# Idempotent: a second run only checks, and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }
ok() { printf '  ok       %s\n' "$*"; }
doing() { printf '  install  %s\n' "$*"; }
fail() {
  printf '\nsetup: cannot install %s here.\n' "$1" >&2
  printf 'Install it by hand, then run make again:\n  %s\n' "$2" >&2
  exit 1
}

echo "queuelab setup: checking the toolchain"

have cargo && have rustc || fail "Rust" "https://rustup.rs (rustup, cargo, rustc)"
have node && have npm || fail "Node.js and npm" "Node.js 18 or newer, with npm"

# 1. wasm32 target
# Checked in the sysroot, so a Rust without rustup (e.g. distro packages) works too.
if [ -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib" ]; then
  ok "rust target wasm32-unknown-unknown"
elif have rustup; then
  doing "rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
else
  fail "the wasm32-unknown-unknown Rust target" "rustup target add wasm32-unknown-unknown   (or your distro's rust-std wasm32 package)"
fi

# 2. wasm-bindgen CLI at exactly the version in Cargo.lock
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$want" ] || { echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
got=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$got" = "$want" ] && have wasm-bindgen-test-runner; then
  ok "wasm-bindgen-cli $want"
else
  doing "wasm-bindgen-cli $want (found: ${got:-none}; takes ~2 minutes)"
  # No --locked: the registry mirror lacks some locked versions.
  cargo install wasm-bindgen-cli --version "$want" --force
fi

# 3. wasm-pack
if have wasm-pack; then
  ok "wasm-pack $(wasm-pack --version | awk '{print $2}')"
else
  doing "wasm-pack (takes ~1.5 minutes)"
  cargo install wasm-pack
fi

# 4. Debian packages: chromium, chromedriver. (wasm-opt is not Debian's binaryen,
#    whose output breaks wasm-bindgen's externref table: it is the npm package
#    binaryen, pinned in package.json, installed in step 5.)
missing=()
have chromium || missing+=(chromium)
have chromedriver || missing+=(chromium-driver)
if [ ${#missing[@]} -eq 0 ]; then
  ok "chromium, chromedriver"
else
  if [ "$(id -u)" -eq 0 ] && have apt-get; then
    doing "${missing[*]} (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif have sudo && have apt-get && sudo -n true 2>/dev/null; then
    doing "${missing[*]} (sudo apt)"
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    fail "${missing[*]}" "sudo apt-get install ${missing[*]}   (or your system's equivalents)"
  fi
fi

# 5. npm dev dependencies (Playwright test runner, chart library, binaryen's
#    wasm-opt, esbuild to minify the vendored chart library)
# "Present" means every package pinned in package-lock.json is installed in
# node_modules at exactly the locked version (file timestamps are not trusted:
# a git checkout or an editor can make them say anything).
npm_ok() {
  [ -f package-lock.json ] && [ -d node_modules ] || return 1
  node -e '
    const fs = require("fs");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
    for (const [path, meta] of Object.entries(lock.packages || {})) {
      if (!path || meta.link || meta.optional) continue;
      let got;
      try { got = JSON.parse(fs.readFileSync(path + "/package.json", "utf8")).version; }
      catch { process.exit(1); }
      if (got !== meta.version) process.exit(1);
    }
  ' 2>/dev/null
}
if npm_ok; then
  ok "npm packages"
elif [ -f package-lock.json ]; then
  doing "npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
else
  doing "npm packages (npm install; writes package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
fi

# 6. mdBook (the guide in book/, `make docs`) at exactly this version
mdbook_want=0.5.4
mdbook_got=$(mdbook --version 2>/dev/null | awk '{print $2}' | sed 's/^v//' || true)
if [ "$mdbook_got" = "$mdbook_want" ]; then
  ok "mdbook $mdbook_want"
else
  doing "mdbook $mdbook_want (found: ${mdbook_got:-none}; takes ~2.5 minutes)"
  cargo install mdbook --version "$mdbook_want" --locked --force \
    || cargo install mdbook --version "$mdbook_want" --force # the registry mirror may lack a locked version
fi

echo "setup: everything is present"
