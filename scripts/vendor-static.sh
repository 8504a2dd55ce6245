#!/usr/bin/env bash
# Vendor the front-end libraries into src/aftersales/web/static/vendor/ so that the product runs
# with no CDN (deployments are offline). 前端依赖本地化：生产环境离线运行，不使用 CDN。
#
# For each package: `npm pack NAME@EXACT_VERSION` in a temp dir, check the tarball against the
# pinned sha512 integrity, extract it, and copy only the minified distribution files (plus the
# licence). The result is committed; re-run this script only to change a version.
#
# Usage: scripts/vendor-static.sh        (needs node + npm and access to the npm registry)
#
# Idempotent: every managed directory under vendor/ is rebuilt from scratch, and VENDOR.md is
# regenerated from the table below, so running it twice gives byte-identical files.
#
# Post-processing (the only changes made to upstream files):
#   * trailing `sourceMappingURL` comments are removed, because the .map files are not shipped and
#     Django's ManifestStaticFilesStorage (whitenoise CompressedManifestStaticFilesStorage, used
#     by `collectstatic` in production) fails on references to files that do not exist.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR_DIR="$ROOT/src/aftersales/web/static/vendor"

command -v npm >/dev/null 2>&1 || { echo "npm is required" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "node is required" >&2; exit 1; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/vendor-static.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
STAGE="$TMP/stage"
mkdir -p "$STAGE"

MANAGED_DIRS=()
TABLE_ROWS=()

# vendor DIR NAME VERSION INTEGRITY LICENCE PURPOSE SRC=DEST [SRC=DEST ...]
#   DIR        directory under vendor/
#   SRC        path inside the npm tarball (relative to its package/ folder)
#   DEST       path relative to vendor/DIR/
vendor() {
  local dir="$1" name="$2" version="$3" integrity="$4" licence="$5" purpose="$6"
  shift 6
  local work="$TMP/pkg-$dir" tgz actual map src dest files=""
  mkdir -p "$work"

  echo "==> $name@$version -> vendor/$dir/"
  if ! tgz="$(cd "$TMP" && npm pack "$name@$version" --silent 2>"$TMP/npm.log" | tail -n1)" \
      || [ -z "$tgz" ] || [ ! -f "$TMP/$tgz" ]; then
    cat "$TMP/npm.log" >&2
    echo "npm pack $name@$version failed" >&2
    exit 1
  fi

  actual="$(node -e '
    const fs = require("fs"), crypto = require("crypto");
    process.stdout.write("sha512-" + crypto.createHash("sha512")
      .update(fs.readFileSync(process.argv[1])).digest("base64"));' "$TMP/$tgz")"
  if [ "$actual" != "$integrity" ]; then
    echo "integrity mismatch for $name@$version: expected $integrity, got $actual" >&2
    exit 1
  fi

  tar -xzf "$TMP/$tgz" -C "$work"
  mkdir -p "$STAGE/$dir"
  for map in "$@"; do
    src="${map%%=*}"
    dest="${map#*=}"
    if [ ! -s "$work/package/$src" ]; then
      echo "missing or empty in $name@$version: $src" >&2
      exit 1
    fi
    mkdir -p "$(dirname "$STAGE/$dir/$dest")"
    cp "$work/package/$src" "$STAGE/$dir/$dest"
    chmod 0644 "$STAGE/$dir/$dest"
    case "$dest" in
      *.js)  sed -i -E '/^\/\/[#@] sourceMappingURL=/d' "$STAGE/$dir/$dest" ;;
      *.css) sed -i -E 's#/\*[#@] sourceMappingURL=[^*]*\*/##' "$STAGE/$dir/$dest" ;;
    esac
    files+="${files:+<br>}\`$dir/$dest\`"
  done

  MANAGED_DIRS+=("$dir")
  TABLE_ROWS+=("| \`$name\` | $version | $licence | $files | $purpose |")
}

# ------------------------------------------------------------------------------------------------
# Pinned packages. To upgrade: `npm view NAME@MAJOR version`, then `npm view NAME@X.Y.Z
# dist.integrity`, update the line, re-run, and check the pages that use the library.
# ------------------------------------------------------------------------------------------------

vendor htmx htmx.org 2.0.11 \
  "sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==" \
  "0BSD" "HTML-over-the-wire: partial page updates, inline forms, polling" \
  dist/htmx.min.js=htmx.min.js \
  LICENSE=LICENSE

vendor echarts echarts 6.1.0 \
  "sha512-q0yaFPggC9FUdsWH4blavRWFmxdrIodbkoKNAjJudAI6CA9gNPxHtV2RcZNEepZVlk4yvBYkOkbk6HIVpIyHZA==" \
  "Apache-2.0" "Dashboard and report charts (full build, includes the built-in Chinese locale)" \
  dist/echarts.min.js=echarts.min.js \
  LICENSE=LICENSE \
  NOTICE=NOTICE \
  licenses/LICENSE-d3=licenses/LICENSE-d3

# The @tabler/core tarball has no LICENSE file; the MIT notice is in the header of both files.
# tabler.min.css has no @import and no url() to other files, so the sub-stylesheets
# (tabler-flags, -payments, -marketing, -props, -socials, -themes, -vendors) are not needed.
vendor tabler @tabler/core 1.6.1 \
  "sha512-lgmR9gcxRp5JlLxcmRi9Rz85JrEvH6Bz71KnlcPVSa97wtwQNjgSs3g3fxwbAlulHyRMghhIV04QUuW3pqDsIg==" \
  "MIT" "UI framework (bundles Bootstrap 5 CSS and JS: dropdowns, modals, toasts, ...)" \
  dist/css/tabler.min.css=tabler.min.css \
  dist/js/tabler.min.js=tabler.min.js

# The CSS loads ./fonts/tabler-icons.{woff2,woff,ttf}; all three are shipped so that every url()
# resolves (collectstatic with the manifest storage requires it). The -200/-300/-filled variants
# are not used.
vendor tabler-icons @tabler/icons-webfont 3.49.0 \
  "sha512-kWgnmEzo17dzQyMqRmlfj+TiGV0clLMYfUtKp2WG7M+TH5418o6fsoaSlrOTK3lwESg0xS7jVfOozYrR02Ryxw==" \
  "MIT" "Icon font (\`<i class=\"ti ti-NAME\"></i>\`)" \
  dist/tabler-icons.min.css=tabler-icons.min.css \
  dist/fonts/tabler-icons.woff2=fonts/tabler-icons.woff2 \
  dist/fonts/tabler-icons.woff=fonts/tabler-icons.woff \
  dist/fonts/tabler-icons.ttf=fonts/tabler-icons.ttf \
  LICENSE=LICENSE

vendor tom-select tom-select 2.6.2 \
  "sha512-eiXIkk82XzzUTOVQDFpy+ZGejuqdTvMukyUyeZBQaKnqW42UoTiTZnrod/eX0rkqJEc4rZY9DZ3zdjV07i29wQ==" \
  "Apache-2.0" "Searchable / remote-loading select boxes (customer, product, engineer pickers)" \
  dist/js/tom-select.complete.min.js=tom-select.complete.min.js \
  dist/css/tom-select.bootstrap5.min.css=tom-select.bootstrap5.min.css \
  LICENSE=LICENSE

vendor flatpickr flatpickr 4.6.13 \
  "sha512-97PMG/aywoYpB4IvbvUJi0RQi8vearvU0oov1WW3k0WZPBMrTQVqekSX5CjSG/M4Q3i6A/0FKXC7RyAoAUUSPw==" \
  "MIT" "Date / date-time pickers, with the Chinese locale (\`flatpickr.l10ns.zh\`)" \
  dist/flatpickr.min.js=flatpickr.min.js \
  dist/flatpickr.min.css=flatpickr.min.css \
  dist/l10n/zh.js=zh.js \
  LICENSE.md=LICENSE.md

vendor signature_pad signature_pad 5.1.4 \
  "sha512-q0wO5a+U+AWPVcVmiNXz7FY4Ad1QiE8wto/3Yn41WVqepoVVYMvkb1CTokaWPUUAHWDLLabH3/acODeWM9jCrg==" \
  "MIT" "Customer signature capture on canvas (service completion sign-off)" \
  dist/signature_pad.umd.min.js=signature_pad.umd.min.js \
  LICENSE=LICENSE

# ------------------------------------------------------------------------------------------------
# Checks on the staged files.
# ------------------------------------------------------------------------------------------------
fail=0
while IFS= read -r -d '' f; do
  [ -s "$f" ] || { echo "empty file: ${f#"$STAGE"/}" >&2; fail=1; }
done < <(find "$STAGE" -type f -print0)

# Every url(...) in the CSS (other than data: URIs and fragments) must resolve to a shipped file.
while IFS= read -r -d '' css; do
  while IFS= read -r url; do
    path="${url%%[?#]*}"
    [ -z "$path" ] && continue
    if [ ! -f "$(dirname "$css")/$path" ]; then
      echo "unresolved url($url) in ${css#"$STAGE"/}" >&2
      fail=1
    fi
  done < <(grep -oE 'url\([^)]*\)' "$css" | sed -E 's/^url\(["'"'"']?//; s/["'"'"']?\)$//' \
             | grep -vE '^(data:|#|https?:|//)' | sort -u || true)
  if grep -q '@import' "$css"; then
    echo "unexpected @import in ${css#"$STAGE"/}" >&2
    fail=1
  fi
done < <(find "$STAGE" -name '*.css' -print0)

if grep -rlE 'sourceMappingURL=' "$STAGE" --include='*.js' --include='*.css'; then
  echo "sourceMappingURL comments left in the files above" >&2
  fail=1
fi
[ "$fail" -eq 0 ] || { echo "checks failed; vendor/ left unchanged" >&2; exit 1; }

# ------------------------------------------------------------------------------------------------
# VENDOR.md, generated so that it always matches the pinned versions.
# ------------------------------------------------------------------------------------------------
human_size() {
  local b="$1"
  if [ "$b" -ge 1048576 ]; then
    awk -v b="$b" 'BEGIN { printf "%.1f MiB", b / 1048576 }'
  elif [ "$b" -ge 1024 ]; then
    awk -v b="$b" 'BEGIN { printf "%.1f KiB", b / 1024 }'
  else
    printf '%d B' "$b"
  fi
}

{
  echo "# Vendored front-end assets / 前端第三方静态资源"
  echo
  echo "Generated by \`scripts/vendor-static.sh\` — do not edit by hand; change the pinned"
  echo "versions in the script and re-run it. Everything is served from \`STATIC_URL\` (no CDN):"
  echo "reference the files with \`{% static 'vendor/...' %}\`."
  echo
  echo "Files come unmodified from the npm tarballs (integrity-checked against the sha512 pinned in"
  echo "the script), except that trailing \`sourceMappingURL\` comments are removed because source"
  echo "maps are not shipped (the manifest static storage used by \`collectstatic\` would fail on"
  echo "them). Each directory keeps the upstream licence file(s)."
  echo
  echo "| Package | Version | Licence | Files copied (under \`vendor/\`) | Used for |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${TABLE_ROWS[@]}"
  echo
  echo "## File sizes"
  echo
  echo "| File | Size |"
  echo "|---|---|"
  total=0
  while IFS= read -r rel; do
    size="$(stat -c %s "$STAGE/$rel")"
    total=$((total + size))
    echo "| \`$rel\` | $(human_size "$size") |"
  done < <(cd "$STAGE" && find . -type f ! -path ./VENDOR.md | sed 's#^\./##' | LC_ALL=C sort)
  echo "| **total** | **$(human_size "$total")** |"
} > "$STAGE/VENDOR.md"

# ------------------------------------------------------------------------------------------------
# Install: replace the managed directories and VENDOR.md; leave anything else in vendor/ alone.
# ------------------------------------------------------------------------------------------------
mkdir -p "$VENDOR_DIR"
for dir in "${MANAGED_DIRS[@]}"; do
  rm -rf "${VENDOR_DIR:?}/$dir"
  cp -R "$STAGE/$dir" "$VENDOR_DIR/$dir"
done
cp "$STAGE/VENDOR.md" "$VENDOR_DIR/VENDOR.md"
chmod 0644 "$VENDOR_DIR/VENDOR.md"

for entry in "$VENDOR_DIR"/*; do
  base="$(basename "$entry")"
  [ "$base" = "VENDOR.md" ] && continue
  case " ${MANAGED_DIRS[*]} " in
    *" $base "*) ;;
    *) echo "note: vendor/$base is not managed by this script" >&2 ;;
  esac
done

echo "done: $(du -sh "$VENDOR_DIR" | cut -f1) in ${VENDOR_DIR#"$ROOT"/}"
