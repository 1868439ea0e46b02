#!/usr/bin/env bash
# Installs the npm packages the browser and peers benchmarks compare Mosaic with (never the product)
# into a cache folder outside git, only when missing, at pinned versions:
#   hnswlib-wasm@0.8.2     hnswlib (HNSW and brute force) compiled to wasm
#   voy-search@0.6.3       a Rust k-d tree compiled to wasm
#   @orama/orama@3.1.18    a JavaScript search engine with a vector (brute-force cosine) mode
#   usearch@2.25.3         USearch's native Node addon (exact search and HNSW); 2.25.3 is the newest
#                          release whose engines field admits Node 20 (2.26 needs Node 22). Its install
#                          step (node-gyp-build) loads the linux-x64 prebuild shipped inside the npm
#                          tarball: nothing is compiled and nothing is fetched outside npm.
#   playwright-core@1.65.1 drives Debian's Chromium (/usr/bin/chromium); downloads no browser
#   fake-indexeddb@6.2.8   an in-memory IndexedDB for Node: hnswlib-wasm saves and loads its graphs only
#                          through emscripten's IDBFS, so the peers benchmark caches them through it
#   minisearch@7.2.0       a JavaScript full-text engine (BM25+), a keyword peer of the keyword peers benchmark
#   lunr@2.3.9             a JavaScript full-text engine (BM25, English stemmer), a keyword peer likewise
# and one Debian package, when missing:
#   wordnet-base           WordNet 3.0's database (/usr/share/wordnet): its glosses are the real text the
#                          partitioned-layout benchmark embeds (tests/bench/wordnet_partition_benchmark.mjs)
# Usage: scripts/install-bench-packages.sh [--print-prefix]
# The cache is $MOSAIC_CACHE_DIR/npm-bench, or ${XDG_CACHE_HOME:-$HOME/.cache}/mosaic/npm-bench.
set -euo pipefail
source "$(dirname "$0")/lib/pinned-npm-packages.sh"

cache_dir="${MOSAIC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mosaic}"
prefix="$cache_dir/npm-bench"
packages=("hnswlib-wasm@0.8.2" "voy-search@0.6.3" "@orama/orama@3.1.18" "usearch@2.25.3" "playwright-core@1.65.1" "fake-indexeddb@6.2.8"
  "minisearch@7.2.0" "lunr@2.3.9")

install_pinned_packages install-bench-packages "$prefix" "${packages[@]}"
if ! dpkg-query -W -f='${Status}' wordnet-base 2>/dev/null | grep -q "install ok installed"; then
  echo "install-bench-packages: installing wordnet-base (Debian)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wordnet-base
fi
# The native addon must load: a missing prebuild for this platform would otherwise surface only as a
# failed benchmark row.
if ! node -e "require(process.argv[1])" "$prefix/node_modules/usearch" >/dev/null 2>&1; then
  echo "install-bench-packages: usearch's native addon does not load on this machine ($(node -p 'process.platform + "-" + process.arch'))" >&2
  exit 1
fi

if [ "${1:-}" = "--print-prefix" ]; then echo "$prefix"; fi
