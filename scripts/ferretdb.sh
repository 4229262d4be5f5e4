#!/usr/bin/env bash
# Build FerretDB (the second MongoDB-compatible test target) into .tools/, once.
#
# Everything Go touches (module cache, build cache, the source copy) lives under .tools/,
# so nothing is written to $HOME and a second run is a no-op: the build is skipped when
# .tools/bin/ferretdb already reports the wanted version. Prints the binary's path.
#
# FerretDB's release builds generate build/version/version.txt from `git describe`; the
# module zip on the Go proxy has no .git and no version.txt, and a binary built without it
# panics at start. So the module is downloaded, copied to a writable tree, the file is
# written with the exact version, and the binary is built from that tree.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${FERRETDB_VERSION:-v1.24.2}"
MODULE="github.com/FerretDB/FerretDB"
TOOLS="$PWD/.tools"
BIN="$TOOLS/bin/ferretdb"
SRC="$TOOLS/ferretdb-src/$VERSION"

# Capture first: `grep -q` exiting early would fail the pipeline under pipefail.
built_version() { [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | sed -n 's/^version: //p'; }

if [ "$(built_version)" = "$VERSION" ]; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { echo "ferretdb.sh: 'go' is needed to build FerretDB" >&2; exit 1; }

export GOPATH="$TOOLS/go"
export GOMODCACHE="$TOOLS/go/pkg/mod"
export GOCACHE="$TOOLS/go/cache"
export GOTOOLCHAIN=local
export GOFLAGS="-modcacherw -buildvcs=false"
export CGO_ENABLED=0  # FerretDB's SQLite driver (modernc.org/sqlite) is pure Go

start=$(date +%s)
mkdir -p "$TOOLS/bin"
if [ ! -f "$SRC/go.mod" ]; then
  dir=$(cd "$TOOLS" && go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "ferretdb.sh: could not download $MODULE@$VERSION" >&2; exit 1; }
  rm -rf "$SRC.tmp" && mkdir -p "$(dirname "$SRC")"
  cp -R "$dir" "$SRC.tmp" && chmod -R u+w "$SRC.tmp"
  echo "$VERSION" >"$SRC.tmp/build/version/version.txt"
  mv "$SRC.tmp" "$SRC"
fi
(cd "$SRC" && go build -trimpath -o "$BIN.tmp" ./cmd/ferretdb) >&2
mv "$BIN.tmp" "$BIN"
[ "$(built_version)" = "$VERSION" ] || { echo "ferretdb.sh: built binary reports the wrong version" >&2; exit 1; }
echo "ferretdb.sh: built FerretDB $VERSION in $(( $(date +%s) - start ))s" >&2
echo "$BIN"
