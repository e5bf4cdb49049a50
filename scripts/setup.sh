#!/usr/bin/env bash
# Installs every dependency of cgounwind from Debian's packages (idempotent).
# Go toolchains: the preinstalled /usr/local/go plus golang-1.19 (bookworm) and
# golang-1.21/1.22/1.23 (bookworm-backports).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

BACKPORTS=/etc/apt/sources.list.d/bookworm-backports.sources
if [ ! -f "$BACKPORTS" ]; then
  $SUDO tee "$BACKPORTS" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

PKGS=(build-essential cmake ninja-build pkg-config gdb libc6-dbg clang-tidy clang-format
      lldb-22 liblldb-22-dev python3-lldb-22
      pybind11-dev libdwarf-dev libelf-dev libfmt-dev libgtest-dev python3-dev
      golang-1.19-go golang-1.21-go golang-1.22-go golang-1.23-go
      gdbserver python3-matplotlib  # for bench/bench.py
      clang-14 libclang-rt-14-dev  # libFuzzer, for scripts/fuzz.sh
      # linux/arm64 under qemu-user: cross C compiler and libc, the emulator, a multi-arch GDB
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user gdb-multiarch)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq -o Dpkg::Use-Pty=0
  $SUDO apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}" >/dev/null
fi
# Rust for the Go→Rust→Go testdata program: rustup's cargo if present, else Debian's.
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends cargo >/dev/null
fi
echo "setup: dependencies present (${#missing[@]} installed this run)"
