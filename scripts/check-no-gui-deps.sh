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
cargo build --no-default-features --quiet
echo "check-no-gui-deps: OK (no GUI crates without the gui feature)"
