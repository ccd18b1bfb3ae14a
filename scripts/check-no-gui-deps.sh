#!/usr/bin/env bash
# The core must build without any GUI crate: fail if the dependency tree of
# the CLI-only build contains egui, eframe, winit or a windowing library.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=$(cargo tree --no-default-features -e normal,build --prefix none)
if printf '%s\n' "$tree" | grep -E '^(egui|eframe|epaint|winit|glow|glutin|wgpu|rfd|accesskit)[ _-]'; then
  echo "check-no-gui-deps: GUI crates found in the --no-default-features dependency tree" >&2
  exit 1
fi
# That build itself is compiled and run by CI's static musl step
# (scripts/build-static.sh) and its library tests
# (`cargo test --no-default-features --lib`); `--build` compiles it here too.
if [ "${1:-}" = "--build" ]; then
  cargo build --no-default-features --quiet
fi
echo "check-no-gui-deps: OK (no GUI crates without the gui feature)"
