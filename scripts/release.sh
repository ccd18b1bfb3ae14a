#!/usr/bin/env bash
# Builds the release artefacts into dist/:
#
#   exhibit-VERSION-windows-x86_64.zip   the workstation and CLI for Windows
#                                        (exhibit.exe: CLI, and the workstation
#                                        when run without a subcommand;
#                                        exhibit-gui.exe: the workstation
#                                        without a console window)
#   exhibit_VERSION_amd64.deb            the workstation and CLI for Debian and
#                                        Ubuntu desktops (desktop entry included)
#   exhibit-VERSION-linux-x86_64-static  the CLI alone, one static file for any
#   exhibit-VERSION-linux-aarch64-static Linux server (no GUI, no libraries)
#   SHA256SUMS                           sha256sum's format, for `sha256sum -c`
#
#   scripts/release.sh [windows|deb|static]...   (default: all three)
#
# The binaries are shipped without their DWARF debug information (the
# release profile keeps line tables, which makes the Windows .exe five times
# larger); symbol names stay, for backtraces.
#
# Needs: the Rust toolchain, gcc-mingw-w64-x86-64 (Windows link and strip),
# binutils (strip), llvm (llvm-strip, for the aarch64 binary), dpkg-deb and
# zip. See packaging/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
dist="$PWD/dist"
tdir="${CARGO_TARGET_DIR:-$PWD/target}"
mkdir -p "$dist"
what=("$@")
[ ${#what[@]} -gt 0 ] || what=(windows deb static)

windows() {
  local t=x86_64-pc-windows-gnu
  rustup target list --installed | grep -qx "$t" || rustup target add "$t"
  cargo build --release --target "$t" --all-features --bins
  local stage
  stage=$(mktemp -d)
  local d="$stage/exhibit-$version-windows-x86_64"
  mkdir -p "$d"
  for b in exhibit exhibit-gui; do
    x86_64-w64-mingw32-strip --strip-debug -o "$d/$b.exe" "$tdir/$t/release/$b.exe"
  done
  cp README.md "$d/README.md"
  cp packaging/windows/README.txt "$d/README-Windows.txt"
  (cd "$stage" && rm -f "$dist/exhibit-$version-windows-x86_64.zip" &&
    zip -qr "$dist/exhibit-$version-windows-x86_64.zip" "exhibit-$version-windows-x86_64")
  rm -rf "$stage"
}

deb() {
  cargo build --release --all-features --bins
  local stage
  stage=$(mktemp -d)
  local root="$stage/exhibit_${version}_amd64"
  install -Dm755 "$tdir/release/exhibit" "$root/usr/bin/exhibit"
  install -Dm755 "$tdir/release/exhibit-gui" "$root/usr/bin/exhibit-gui"
  strip --strip-debug "$root/usr/bin/exhibit" "$root/usr/bin/exhibit-gui"
  install -Dm644 packaging/exhibit.desktop "$root/usr/share/applications/exhibit.desktop"
  install -Dm644 README.md "$root/usr/share/doc/exhibit/README.md"
  mkdir -p "$root/DEBIAN"
  cat > "$root/DEBIAN/control" <<CONTROL
Package: exhibit
Version: $version
Section: utils
Priority: optional
Architecture: amd64
Maintainer: Exhibit maintainers
Depends: libc6, libgl1, libxkbcommon0
Recommends: xdg-desktop-portal
Description: Evidence capture, verification and analysis workstation
 Snapshot server files into hashed, timestamped evidence archives with a
 signed chain-of-custody log; verify, compare, read the logs and the
 timeline, and answer the data-breach questions. CLI and desktop GUI.
CONTROL
  dpkg-deb --root-owner-group --build "$root" "$dist/exhibit_${version}_amd64.deb" >/dev/null
  rm -rf "$stage"
}

static() {
  scripts/build-static.sh x86_64 aarch64
  # llvm-strip: binutils' strip does not read aarch64 ELF.
  command -v llvm-strip >/dev/null || { echo "needs llvm-strip (Debian: apt-get install llvm)" >&2; exit 1; }
  for a in x86_64 aarch64; do
    llvm-strip --strip-debug -o "$dist/exhibit-$version-linux-$a-static" \
      "$tdir/$a-unknown-linux-musl/release/exhibit"
  done
}

for w in "${what[@]}"; do
  case "$w" in
    windows | deb | static) "$w" ;;
    *) echo "usage: $0 [windows|deb|static]..." >&2; exit 2 ;;
  esac
done
(cd "$dist" && sha256sum -- * 2>/dev/null | grep -v ' SHA256SUMS$' > SHA256SUMS.new && mv SHA256SUMS.new SHA256SUMS)
ls -l "$dist"
