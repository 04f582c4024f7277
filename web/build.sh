#!/usr/bin/env bash
# Builds and tests the web client with the machine's Node.js and npm; Maven calls it (web/pom.xml).
#   build.sh build   npm ci when package-lock.json changed, then `npm run build` (into target/classes/fastchat/web)
#   build.sh test    `npm test`
# Without npm, outside CI, the build goes on without the web client (browsers are told so); under CI=true it fails.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "web: npm not found: install Node.js 20.19 or newer with npm" >&2
    exit 1
  fi
  echo "web: Node.js and npm not found: building without the web client (install Node.js 20.19+ to have it)" >&2
  exit 0
fi

if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "web: Node.js $(node --version) is too old: the web client needs 20.19 or newer" >&2
  exit 1
fi

case "${1:-}" in
  build)
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
      npm ci --no-audit --no-fund --prefer-offline --loglevel=error
    fi
    npm run --silent build
    ;;
  test)
    [ -d node_modules ] || npm ci --no-audit --no-fund --prefer-offline --loglevel=error
    npm test --silent
    ;;
  *)
    echo "usage: build.sh build|test" >&2
    exit 2
    ;;
esac
