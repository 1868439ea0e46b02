#!/usr/bin/env bash
# Downloads a Debian source package (upstream tarball, Debian patches, .dsc) into a folder, through a
# deb-src entry that only this script's apt calls see. The build uses it to compile Debian's own
# sources where there is no Debian binary for the target: Snowball's C stemmers for WebAssembly.
#
#   scripts/fetch-debian-source.sh prepare                    # write the deb-src entry (idempotent)
#   scripts/fetch-debian-source.sh fetch NAME VERSION FOLDER  # NAME_VERSION's source files into FOLDER
#
# The entry is apt's own Debian entry copied with `Types: deb-src`, kept in a private apt state folder
# ($MOSAIC_CACHE_DIR/apt-source: its sources, package lists and cache), so the machine's apt (its
# sources, lists, `apt-get update` time and installs) is unchanged: the entry exists only for these
# source downloads. Nothing fetched is committed; the build tree holds it.
set -euo pipefail

cache_dir="${MOSAIC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mosaic}"
state="$cache_dir/apt-source"
apt_options=(
  -o "Dir::Etc::SourceList=$state/sources.list"
  -o "Dir::Etc::SourceParts=$state/sources.list.d"
  -o "Dir::State::Lists=$state/lists"
  -o "Dir::Cache=$state/cache"
  -o "Debug::NoLocking=true"   # the private lists are ours alone; no root needed for them
  -o "APT::Sandbox::User=$(id -un)"  # downloads land in folders the caller owns, not apt's _apt user
)

# Every Debian archive stanza of the machine's deb822 sources (Signed-By Debian's archive keyring),
# and every one-line `deb` entry for a Debian archive, as deb-src.
source_entries() {
  local file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         /debian-archive-keyring/ && /(^|\n)Types:[^\n]*deb/ {
           gsub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' "$file"
  done
  if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^[[:space:]]*deb[[:space:]]\+\(.*\(debian\.org\|debian\)\/.*\)$/deb-src \1/p' /etc/apt/sources.list \
      > "$state/sources.list.new"
  else
    : > "$state/sources.list.new"
  fi
}

prepare() {
  mkdir -p "$state/sources.list.d" "$state/lists/partial" "$state/cache/archives/partial"
  source_entries > "$state/sources.list.d/debian-source.sources.new"
  if ! [ -s "$state/sources.list.d/debian-source.sources.new" ] && ! [ -s "$state/sources.list.new" ]; then
    echo "fetch-debian-source: no Debian archive entry in /etc/apt/sources.list{,.d} to copy as deb-src" >&2
    exit 1
  fi
  local changed=0 name
  for name in sources.list.d/debian-source.sources sources.list; do
    if cmp -s "$state/$name.new" "$state/$name"; then
      rm "$state/$name.new"
    else
      mv "$state/$name.new" "$state/$name"
      changed=1
    fi
  done
  if [ "$changed" = 1 ] || ! compgen -G "$state/lists/*Sources*" >/dev/null; then
    echo "fetch-debian-source: updating the deb-src package lists in $state"
    apt-get "${apt_options[@]}" -qq update
  fi
}

fetch() {
  local name="$1" version="$2" folder="$3"
  local dsc="${name}_${version#*:}.dsc"
  mkdir -p "$folder"
  if [ -f "$folder/$dsc" ]; then return 0; fi
  prepare
  if ! (cd "$folder" && apt-get "${apt_options[@]}" -qq source --download-only "$name=$version"); then
    # The lists may predate the version: refresh once and try again.
    apt-get "${apt_options[@]}" -qq update
    (cd "$folder" && apt-get "${apt_options[@]}" -qq source --download-only "$name=$version")
  fi
  [ -f "$folder/$dsc" ] || { echo "fetch-debian-source: $dsc was not downloaded" >&2; exit 1; }
}

case "${1:-}" in
  prepare) prepare ;;
  fetch) [ $# -eq 4 ] || { echo "usage: $0 fetch NAME VERSION FOLDER" >&2; exit 2; }; fetch "$2" "$3" "$4" ;;
  *) echo "usage: $0 prepare | fetch NAME VERSION FOLDER" >&2; exit 2 ;;
esac
