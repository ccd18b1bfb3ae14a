#!/usr/bin/env bash
# Type-check Exhibit for macOS (Intel and Apple silicon) from Linux, every
# feature included:
#
#   scripts/check-macos.sh [TARGET...] [-- CARGO_CHECK_ARGS...]
#
#   TARGET: x86_64-apple-darwin, aarch64-apple-darwin (default: both)
#   CARGO_CHECK_ARGS: default `--release --all-features`
#
# Nothing is linked (there is no macOS linker or SDK here), but build
# scripts that compile C for the target must find a C compiler for macOS:
# the `yara` feature's wasmtime compiles a small C helper with the
# target's compiler. Zig's `zig cc` compiles C for macOS with the libc
# headers it ships; it comes from PyPI's `ziglang` package, installed under
# target/ziglang the first time. The wrappers made here drop the target
# flags the `cc` crate adds for Apple targets (`-arch X`,
# `--target=…-apple-macosx`, which zig does not parse; zig takes the target
# from its own `-target`) and stand in for `ar`. See docs/platforms.md.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    x86_64-apple-darwin | aarch64-apple-darwin) targets+=("$1"); shift ;;
    *) echo "usage: $0 [x86_64-apple-darwin|aarch64-apple-darwin]... [-- CARGO_CHECK_ARGS...]" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(x86_64-apple-darwin aarch64-apple-darwin)
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--release --all-features)

tdir="${CARGO_TARGET_DIR:-$PWD/target}"
zig_py="$tdir/ziglang"
if ! PYTHONPATH="$zig_py" python3 -m ziglang version >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check --target "$zig_py" ziglang
fi
echo "zig $(PYTHONPATH="$zig_py" python3 -m ziglang version)"

wrappers="$tdir/zig-macos"
mkdir -p "$wrappers"
for arch in x86_64 aarch64; do
  cat > "$wrappers/cc-$arch" <<WRAP
#!/usr/bin/env bash
# zig cc for $arch-macos; drops the target flags the cc crate adds
# (-arch X, --target=x86_64-apple-macosx, which zig does not parse).
args=()
skip=0
for a in "\$@"; do
  if [ \$skip = 1 ]; then skip=0; continue; fi
  case "\$a" in
    -arch) skip=1 ;;
    --target=*) ;;
    *) args+=("\$a") ;;
  esac
done
PYTHONPATH="$zig_py" exec python3 -m ziglang cc -target $arch-macos "\${args[@]}"
WRAP
  chmod +x "$wrappers/cc-$arch"
done
cat > "$wrappers/ar" <<WRAP
#!/usr/bin/env bash
PYTHONPATH="$zig_py" exec python3 -m ziglang ar "\$@"
WRAP
chmod +x "$wrappers/ar"

for t in "${targets[@]}"; do
  rustup target list --installed | grep -qx "$t" || rustup target add "$t"
  arch=${t%%-*}
  env_t=${t//-/_}
  echo "cargo check --target $t ${args[*]}"
  env "CC_$env_t=$wrappers/cc-$arch" "AR_$env_t=$wrappers/ar" \
    cargo check --target "$t" "${args[@]}" --bins
done
