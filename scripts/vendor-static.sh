#!/usr/bin/env bash
# Vendor the front-end libraries from the npm registry into src/aftersales/web/static/vendor/.
# The result is committed: deployments are often offline, so the product never loads from a CDN.
# Re-run after changing a version below; see static/vendor/VENDOR.md for what each one is for.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=src/aftersales/web/static/vendor
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

fetch() {  # fetch NAME@VERSION DIR  → unpacked package in DIR
  local spec=$1 dir=$2
  mkdir -p "$dir"
  (cd "$WORK" && npm pack --silent "$spec" >/dev/null 2>&1)
  local tgz
  tgz=$(ls -t "$WORK"/*.tgz | head -1)
  tar -xzf "$tgz" -C "$dir" --strip-components=1
  rm -f "$tgz"
}

copy() {  # copy PACKAGE_DIR SUBDIR FILE...
  local src=$1 sub=$2; shift 2
  mkdir -p "$DEST/$sub"
  for f in "$@"; do cp "$src/$f" "$DEST/$sub/"; done
}

rm -rf "$DEST"
mkdir -p "$DEST"

fetch htmx.org@2.0.11 "$WORK/htmx";                 copy "$WORK/htmx" htmx dist/htmx.min.js
fetch echarts@6.1.0 "$WORK/echarts";                copy "$WORK/echarts" echarts dist/echarts.min.js
fetch @tabler/core@1.6.1 "$WORK/tabler";            copy "$WORK/tabler" tabler dist/css/tabler.min.css dist/js/tabler.min.js
fetch @tabler/icons-webfont@3.49.0 "$WORK/icons"
mkdir -p "$DEST/tabler-icons/fonts"
cp "$WORK/icons/dist/tabler-icons.min.css" "$DEST/tabler-icons/"
cp "$WORK/icons/dist/fonts/"tabler-icons.woff2 "$WORK/icons/dist/fonts/"tabler-icons.woff "$WORK/icons/dist/fonts/"tabler-icons.ttf "$DEST/tabler-icons/fonts/"
fetch tom-select@2.6.2 "$WORK/tomselect";           copy "$WORK/tomselect" tom-select dist/js/tom-select.complete.min.js dist/css/tom-select.bootstrap5.min.css
fetch flatpickr@4.6.8 "$WORK/flatpickr";            copy "$WORK/flatpickr" flatpickr dist/flatpickr.min.js dist/flatpickr.min.css dist/l10n/zh.js
fetch signature_pad@5.1.4 "$WORK/sigpad";           copy "$WORK/sigpad" signature_pad dist/signature_pad.umd.min.js

# Drop source-map references: the maps are not vendored and browsers would ask for them.
find "$DEST" \( -name '*.js' -o -name '*.css' \) -exec sed -i -E 's@/[*/]# sourceMappingURL=[^ *]*( \*/)?@@' {} +
du -sh "$DEST"
