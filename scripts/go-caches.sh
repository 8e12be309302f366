# Sourced by the build scripts that compile with Go (build-kube-apiserver.sh,
# build-temporal-server.sh): `use_writable_go_caches <project-root> <say-function>`.
# A user whose HOME is read-only (CI containers, a non-root user without one) still gets
# caches, under <project-root>/.tools/go/. GOPATH first: the module cache and the checksum
# database's cache live under it by default.
use_writable_go_caches() {
  local root=$1 say=$2 var dir fallback
  for var in GOPATH GOMODCACHE GOCACHE; do
    dir=$(go env "$var")
    dir=${dir%%:*}
    if ! mkdir -p "$dir" 2>/dev/null || [[ ! -w $dir ]]; then
      fallback=$root/.tools/go/${var,,}
      "$say" "$var ($dir) is not writable; using $fallback"
      mkdir -p "$fallback"
      export "$var=$fallback"
    fi
  done
}
