#!/usr/bin/env bash
# Installs the npm packages the tests use (never the product) into a cache folder outside git, only
# when missing, at pinned versions:
#   @google/genai@2.32.0   Google's official JavaScript SDK: the /v1beta pass-through is tested with it
#                          (2.32.0 is the newest release that supports Node 20, the machine's Node)
#   playwright-core@1.65.1 drives Debian's Chromium (/usr/bin/chromium) in the browser tests; the
#                          -core package downloads no browser, and `playwright install` is never run
#   axe-core@4.14.1       the accessibility checks of the <mosaic-search> element (browser tests):
#                          injected into the page, it reports WCAG violations by impact
#   typescript@5.9.3       tsc type-checks mosaic.d.ts against wasm/mosaic.mjs and wasm/lib/ (the last
#                          release written in JavaScript: 7.x is a native binary per platform)
#   esbuild@0.28.2         bundles a page from the packed npm package (tests/npm/), as a site's own build
#                          would, so the test sees the wasm files resolve when bundled (npm fetches the
#                          one native binary for this platform, @esbuild/linux-x64, as an optional dependency)
# Usage: scripts/install-test-packages.sh [--print-prefix]
# The cache is $MOSAIC_CACHE_DIR/npm-test, or ${XDG_CACHE_HOME:-$HOME/.cache}/mosaic/npm-test.
set -euo pipefail
source "$(dirname "$0")/lib/pinned-npm-packages.sh"

cache_dir="${MOSAIC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mosaic}"
prefix="$cache_dir/npm-test"
packages=("@google/genai@2.32.0" "playwright-core@1.65.1" "typescript@5.9.3" "axe-core@4.14.1" "esbuild@0.28.2")

install_pinned_packages install-test-packages "$prefix" "${packages[@]}"

if [ "${1:-}" = "--print-prefix" ]; then echo "$prefix"; fi
