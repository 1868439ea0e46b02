# Sourced by scripts/install-test-packages.sh and scripts/install-bench-packages.sh: npm packages at
# pinned versions in a cache folder outside git, installed only when one is missing or at another
# version, so a second run costs nothing and never touches the network.

# pinned_packages_complete PREFIX PACKAGE@VERSION...: every package is installed at its version.
pinned_packages_complete() {
  local prefix="$1" package name version installed
  shift
  for package in "$@"; do
    name="${package%@*}"
    version="${package##*@}"
    installed="$prefix/node_modules/$name/package.json"
    [ -f "$installed" ] || return 1
    grep -q "\"version\": \"$version\"" "$installed" || return 1
  done
}

# install_pinned_packages TOOL PREFIX PACKAGE@VERSION...: TOOL names the caller in messages.
install_pinned_packages() {
  local tool="$1" prefix="$2"
  shift 2
  pinned_packages_complete "$prefix" "$@" && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "$tool: npm is missing; run 'make dependencies' first" >&2
    return 1
  fi
  echo "$tool: installing $* into $prefix" >&2
  mkdir -p "$prefix"
  [ -f "$prefix/package.json" ] || printf '{ "name": "mosaic-%s", "private": true }\n' "$(basename "$prefix")" > "$prefix/package.json"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "$@" >&2
  pinned_packages_complete "$prefix" "$@" || { echo "$tool: npm finished but the packages in $prefix are incomplete" >&2; return 1; }
}
