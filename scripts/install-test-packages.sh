#!/usr/bin/env bash
# Installs the npm packages the tests use (never the product) into a cache folder outside git, only
# when missing, at pinned versions:
#   @google/genai@2.32.0   Google's official JavaScript SDK: the /v1beta pass-through is tested with it
#                          (2.32.0 is the newest release that supports Node 20, the machine's Node)
#   playwright-core@1.65.1 drives Debian's Chromium (/usr/bin/chromium) in the browser tests; the
#                          -core package downloads no browser, and `playwright install` is never run
# Usage: scripts/install-test-packages.sh [--print-prefix]
# The cache is $MOSAIC_CACHE_DIR/npm-test, or ${XDG_CACHE_HOME:-$HOME/.cache}/mosaic/npm-test.
set -euo pipefail

cache_dir="${MOSAIC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mosaic}"
prefix="$cache_dir/npm-test"
packages=("@google/genai@2.32.0" "playwright-core@1.65.1")

complete() {
  local package name version installed
  for package in "${packages[@]}"; do
    name="${package%@*}"
    version="${package##*@}"
    installed="$prefix/node_modules/$name/package.json"
    [ -f "$installed" ] || return 1
    grep -q "\"version\": \"$version\"" "$installed" || return 1
  done
}

if ! complete; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-test-packages: npm is missing; run 'make dependencies' first" >&2
    exit 1
  fi
  echo "install-test-packages: installing ${packages[*]} into $prefix" >&2
  mkdir -p "$prefix"
  [ -f "$prefix/package.json" ] || printf '{ "name": "mosaic-test-packages", "private": true }\n' > "$prefix/package.json"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "${packages[@]}" >&2
  complete || { echo "install-test-packages: npm finished but the packages in $prefix are incomplete" >&2; exit 1; }
fi

if [ "${1:-}" = "--print-prefix" ]; then echo "$prefix"; fi
