#!/usr/bin/env bash
# Builds fully static `exhibit` CLI binaries (no GUI, no C library needed on
# the server) for x86_64 and aarch64 Linux with the musl targets, linked by
# rust-lld with Rust's own (self-contained) musl C runtime: no cross gcc is
# needed. The one C dependency of the CLI build, libdeflate (capture's
# Deflate for files held whole), is compiled by this machine's C compiler
# for x86_64 and left out for aarch64 (zlib-rs instead;
# src/capture/compress.rs).
#
#   scripts/build-static.sh                 release, both targets
#   scripts/build-static.sh --debug x86_64  dev profile, one target (CI)
#
# Binaries: target/<triple>/<release|debug>/exhibit (under $CARGO_TARGET_DIR
# when it is set). Each is checked to be
# static (`file`, `ldd`) and the one for this machine's architecture is run.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
dir=release
if [ "${1:-}" = "--debug" ]; then
  profile=dev
  dir=debug
  shift
fi
tdir="${CARGO_TARGET_DIR:-$PWD/target}"
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 aarch64)

for arch in "${arches[@]}"; do
  case "$arch" in
    x86_64 | aarch64) ;;
    *) echo "build-static: unknown architecture $arch (x86_64 or aarch64)" >&2; exit 2 ;;
  esac
  triple="$arch-unknown-linux-musl"
  rustup target list --installed | grep -qx "$triple" || rustup target add "$triple"
  var="$(echo "$triple" | tr 'a-z-' 'A-Z_')"
  # Only the target's crates get these flags; build scripts stay host builds.
  export "CARGO_TARGET_${var}_LINKER=rust-lld"
  export "CARGO_TARGET_${var}_RUSTFLAGS=-C link-self-contained=yes -C target-feature=+crt-static"
  if [ "$arch" = x86_64 ]; then
    # libdeflate's C: musl-gcc when installed, else the host's x86_64 C
    # compiler (the code needs only memcpy/memset/malloc, which musl has).
    ccvar="CC_$(echo "$triple" | tr '-' '_')"
    [ -n "${!ccvar:-}" ] || export "$ccvar=$(command -v musl-gcc || command -v cc)"
  fi
  cargo build --locked --no-default-features --target "$triple" --profile "$profile" --bin exhibit
  bin="$tdir/$triple/$dir/exhibit"
  if command -v file >/dev/null; then
    file "$bin"
    file "$bin" | grep -Eq "statically linked|static-pie linked" ||
      { echo "build-static: $bin is not statically linked" >&2; exit 1; }
  fi
  if [ "$arch" = "$(uname -m)" ]; then
    # ldd says "not a dynamic executable" (or "statically linked") for a static binary.
    if ldd "$bin" 2>&1 | grep -q "=>"; then
      echo "build-static: $bin needs shared libraries:" >&2
      ldd "$bin" >&2
      exit 1
    fi
    "$bin" --version
  elif command -v "qemu-$arch-static" >/dev/null; then
    "qemu-$arch-static" "$bin" --version
  elif command -v "qemu-$arch" >/dev/null; then
    "qemu-$arch" "$bin" --version
  fi
  ls -l "$bin"
done
