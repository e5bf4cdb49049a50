#!/usr/bin/env bash
# Fetches Debian bookworm's LLDB 19 into DEST (default build/lldb19) without installing it:
# `apt-get download` + `dpkg-deb -x`, no dpkg database change. (Installing lldb-19 would remove
# lldb-22: their python3-lldb-N packages conflict.) Idempotent: nothing to do once DEST/.done
# exists. Used by tests/e2e/test_lldb19.py (ctest lldb19_go1.23).
#
# Packages: lldb-19 (lldb, lldb-server), liblldb-19, libllvm19, libclang-cpp19 (a NEEDED of
# lldb, liblldb and lldb-server) and python3-lldb-19 (the `lldb` module of LLDB's embedded
# Python; without it LLDB 19 would import lldb-22's). Their other dependencies (libpython3.11,
# libedit2, libxml2, libcurl4, libipt2, libz3-4, ...) are lldb-22's too, so already installed.
#
# Two symlinks in DEST/usr/lib/llvm-19/lib (liblldb-19.so.1, libLLVM.so.19.1) let the binaries'
# RUNPATH ($ORIGIN/../lib) find every LLVM 19 library: no LD_LIBRARY_PATH is needed, and LLDB
# finds its lldb-server and its Python module relative to itself.
set -euo pipefail

DEST=${1:-"$(cd "$(dirname "$0")/.." && pwd)/build/lldb19"}
DEST=$(realpath -m "$DEST")
PKGS=(lldb-19 liblldb-19 python3-lldb-19 libllvm19 libclang-cpp19)
LLDB="$DEST/usr/lib/llvm-19/bin/lldb"

usage() {
  cat <<EOF
LLDB 19 is in $DEST. Run it as
  $LLDB
e.g. $LLDB -b --no-lldbinit -o 'plugin load build/lldb-plugin/libcgounwind.so' PROGRAM
(lldb-server and the Python module are found next to it; to be explicit:
  LLDB_DEBUGSERVER_PATH=$DEST/usr/lib/llvm-19/bin/lldb-server)
EOF
}

if [ -f "$DEST/.done" ]; then
  usage
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! apt-cache show lldb-19 >/dev/null 2>&1; then
  $SUDO apt-get update -qq -o Dpkg::Use-Pty=0
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP" "$DEST.partial"' EXIT
# apt-get download drops root privileges to _apt, which cannot write to a mktemp dir.
APT_OPTS=(-q)
[ "$(id -u)" -ne 0 ] || APT_OPTS+=(-o APT::Sandbox::User=root)
(cd "$TMP" && apt-get download "${APT_OPTS[@]}" "${PKGS[@]}" >/dev/null)

rm -rf "$DEST.partial"
mkdir -p "$DEST.partial"
for deb in "$TMP"/*.deb; do
  dpkg-deb -x "$deb" "$DEST.partial"
done
rm -rf "$DEST.partial/usr/share"  # docs, man pages, lintian overrides
ln -sf ../../x86_64-linux-gnu/liblldb-19.so.1 "$DEST.partial/usr/lib/llvm-19/lib/liblldb-19.so.1"
ln -sf ../../x86_64-linux-gnu/libLLVM.so.19.1 "$DEST.partial/usr/lib/llvm-19/lib/libLLVM.so.19.1"
# The Python module's _lldb.cpython-*.so points at lib/liblldb.so (shipped by liblldb-19-dev):
# lets `PYTHONPATH=$(lldb -P) python3 -c 'import lldb'` work too.
ln -sf liblldb.so.1 "$DEST.partial/usr/lib/llvm-19/lib/liblldb.so"

# Check before declaring it done: every library resolves, and LLDB runs its Python.
BIN="$DEST.partial/usr/lib/llvm-19/bin"
if ldd "$BIN/lldb" "$BIN/lldb-server" | grep -q "not found"; then
  ldd "$BIN/lldb" "$BIN/lldb-server" | grep "not found" >&2
  echo "fetch_lldb19: missing libraries (see above)" >&2
  exit 1
fi
out=$("$BIN/lldb" -b --no-lldbinit -o "script print(lldb.SBDebugger.GetVersionString())" 2>&1)
if ! grep -q "^lldb version 19\." <<<"$out"; then
  echo "$out" >&2
  echo "fetch_lldb19: the extracted lldb does not run" >&2
  exit 1
fi

rm -rf "$DEST"
mv "$DEST.partial" "$DEST"
dpkg-deb -f "$TMP"/lldb-19_*.deb Version >"$DEST/.done"
usage
