# Sourced by ./run and ./test: find Python 3.11, create .venv, install the pinned packages when
# pyproject.toml changed since the last install. Usage: ensure_venv [extra]   (extra: "dev")
ensure_venv() {
  local extra="${1:-}" py=""
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      py="$candidate"; break
    fi
  done
  if [ -z "$py" ]; then
    echo "Python 3.11 is required (python3.11 not found)." >&2; exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "创建虚拟环境 / creating .venv with $("$py" --version)"
    "$py" -m venv .venv
  fi
  local stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)${extra:+-$extra}"
  if [ ! -f "$stamp" ]; then
    echo "安装依赖 / installing packages${extra:+ ($extra)} …"
    .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
    if [ -n "$extra" ]; then
      .venv/bin/python -m pip install --quiet -e ".[$extra]"
    else
      .venv/bin/python -m pip install --quiet -e .
    fi
    rm -f .venv/.installed-*
    touch "$stamp"
    # A dev install also satisfies a plain one.
    [ -n "$extra" ] && touch ".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
  fi
  # Compile translations when GNU gettext is present; the committed .mo files serve otherwise.
  if command -v msgfmt >/dev/null 2>&1; then
    .venv/bin/python manage.py compilemessages --ignore=.venv -v 0 >/dev/null 2>&1 || true
  fi
}
