#!/usr/bin/env bash
# Builds a real kube-apiserver from source for the Kubernetes target specs:
#   scripts/build-kube-apiserver.sh [project-root]   (default: this script's parent folder)
# Output: <project-root>/.tools/kube-apiserver-v1.34.2/kube-apiserver. Does nothing when it is
# already there. Needs Go >= 1.24 and the Go module proxy; about 10 min and 2 GB of build cache
# on 2 cores the first time.
#
# k8s.io/kubernetes is not meant to be a dependency: its go.mod points every k8s.io staging
# module at ./staging/src, which a module download does not contain. A wrapper module that
# replaces each of them with its published v0.34.2 builds the same code.
set -euo pipefail

K8S_VERSION=v1.34.2
STAGING_VERSION=v0.34.2

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${1:-$script_dir/..}" && pwd)
out_dir=$root/.tools/kube-apiserver-$K8S_VERSION
bin=$out_dir/kube-apiserver

say() { printf '[build-kube-apiserver] %s\n' "$*"; }

if [[ -x $bin ]] && "$bin" --version >/dev/null 2>&1; then
  say "already built: $bin ($("$bin" --version))"
  exit 0
fi

command -v go >/dev/null || { say "go is not on PATH: install Go >= 1.24 (https://go.dev/dl)"; exit 1; }
say "using $(go version)"

# shellcheck source=scripts/go-caches.sh
source "$script_dir/go-caches.sh"
use_writable_go_caches "$root" say

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-kube-apiserver-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

say "reading k8s.io/kubernetes@$K8S_VERSION's go.mod for its staging modules"
if ! download=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION"); then
  say "could not download k8s.io/kubernetes@$K8S_VERSION:"
  printf '%s\n' "$download" >&2
  exit 1
fi
kube_mod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$download")
[[ -f $kube_mod ]] || { say "k8s.io/kubernetes@$K8S_VERSION's go.mod is missing from the download: $download"; exit 1; }
staging=$(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/src/.*#\1#p' "$kube_mod")
[[ -n $staging ]] || { say "no staging replacements found in $kube_mod"; exit 1; }
say "replacing $(wc -w <<<"$staging") staging modules with their $STAGING_VERSION releases"

{
  echo 'module sluice.local/kubeapiserver'
  echo
  echo 'go 1.24.0'
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo 'replace ('
  for module in $staging; do echo "	$module => $module $STAGING_VERSION"; done
  echo ')'
} >go.mod
cat >tools.go <<'EOF'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
EOF

export GOFLAGS=-mod=mod CGO_ENABLED=0
say "resolving dependencies (go mod tidy)"
go mod tidy

version_pkg=k8s.io/component-base/version
ldflags="-s -w -X $version_pkg.gitVersion=$K8S_VERSION -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=34 -X $version_pkg.gitTreeState=clean"
say "compiling kube-apiserver $K8S_VERSION (the long part)"
start=$SECONDS
mkdir -p "$out_dir"
go build -trimpath -ldflags="$ldflags" -o "$work/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
# Moved in whole so that a build stopped halfway never leaves a binary that looks finished.
mv -f "$work/kube-apiserver" "$bin"
say "built $bin in $((SECONDS - start)) s ($("$bin" --version))"
