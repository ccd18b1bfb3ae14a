#!/usr/bin/env bash
# The Windows build, tested here: cross-build `exhibit.exe` with MinGW-w64
# and run the portable CLI tests (tests/portable_cli.rs: capture a folder,
# verify intact and tampered, custody signed with an OpenSSH key, capture a
# mounted Linux image, diff, logs, report) with it under Wine, plus the
# custody end-to-end tests that read its output with ssh-keygen and Python.
#
#   scripts/windows-tests.sh [--release] [--all-features]
#
# Default: the CLI build (no GUI) in the dev profile; CI adds
# `--all-features`, so the workstation is built (and linked) for Windows too.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=debug
cargo_profile=()
features=(--no-default-features --features sqlite)
for a in "$@"; do
  case "$a" in
    --release) profile=release; cargo_profile=(--release) ;;
    --all-features) features=(--all-features) ;;
    *) echo "usage: $0 [--release] [--all-features]" >&2; exit 2 ;;
  esac
done
target=x86_64-pc-windows-gnu
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
command -v x86_64-w64-mingw32-gcc >/dev/null || { echo "needs gcc-mingw-w64-x86-64 (scripts/install-test-tools.sh)" >&2; exit 1; }
command -v wine >/dev/null || { echo "needs wine (scripts/install-test-tools.sh)" >&2; exit 1; }
cargo build "${cargo_profile[@]}" --target "$target" "${features[@]}" --bins
tdir="${CARGO_TARGET_DIR:-$PWD/target}"
exe="$tdir/$target/$profile/exhibit.exe"
file "$exe" | grep -q "PE32+ executable" || { echo "not a Windows executable: $exe" >&2; exit 1; }

# A Wine prefix of our own, made once, quiet.
export WINEPREFIX="${WINEPREFIX:-$tdir/wine-prefix}"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
wine wineboot --init >/dev/null 2>&1 || true
# Wine before 9 has no bcryptprimitives.dll, where Rust's standard library
# takes random bytes from: a shim for the tests only (scripts/wine/).
if [ ! -e "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -o "$(dirname "$exe")/bcryptprimitives.dll" \
    scripts/wine/bcryptprimitives.c -ladvapi32
fi
wrapper="$tdir/$target/$profile/exhibit-wine"
cat > "$wrapper" <<WRAP
#!/bin/sh
exec wine "$exe" "\$@"
WRAP
chmod +x "$wrapper"
wine "$exe" --version
EXHIBIT_BIN="$wrapper" cargo test --all-features --test tests -- \
  portable_cli:: custody_cli::every_event_verifies_with_ssh_keygen_and_python
