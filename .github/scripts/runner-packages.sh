#!/usr/bin/env bash
# System packages on a GitHub-hosted Ubuntu runner, before `make install`.
#
# kaleido draws the plotly charts with a Chromium it finds on PATH (`chromium` first). `make install`
# installs Debian's `chromium` package when there is no `chromium` command. On Ubuntu that package is only
# a stub for a snap, which cannot run on a runner; GitHub's Ubuntu images already ship a real Chromium
# build as /usr/bin/chromium, and Google Chrome. So: keep a real `chromium` if there is one, otherwise
# link one of the shipped browsers as `chromium`; `make install` then has only poppler-utils to add, as
# on a Debian machine that already has chromium. WeasyPrint's Pango libraries are added if missing.
set -euo pipefail

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

is_real_browser() {
  local path resolved
  path="$(command -v "$1" 2>/dev/null)" || return 1
  resolved="$(readlink -f "$path")"
  case "$resolved" in /snap/*) return 1 ;; esac
  # Ubuntu's transitional packages install a small shell script that runs the snap.
  if grep -Iqs '/snap/' "$resolved"; then return 1; fi
  return 0
}

browser=""
for name in chromium chromium-browser google-chrome google-chrome-stable; do
  if is_real_browser "$name"; then
    browser="$(command -v "$name")"
    break
  fi
done

if [ -z "$browser" ]; then
  if grep -qs '^ID=ubuntu' /etc/os-release; then
    echo "::error::no Chromium or Chrome on this Ubuntu runner, and Ubuntu's chromium package is a snap stub"
    exit 1
  fi
  echo "no Chromium found: make install will install Debian's chromium package"
elif ! is_real_browser chromium; then
  echo "linking $browser as chromium"
  $SUDO ln -sf "$browser" /usr/local/bin/chromium
fi

if [ -n "$browser" ]; then
  chromium --version
fi

# (grep without -q reads all of ldconfig's output: with pipefail, an early exit would fail the pipe)
ldconfig="$(command -v ldconfig || echo /sbin/ldconfig)"
if ! "$ldconfig" -p | grep 'libpangoft2-1.0.so.0' >/dev/null; then
  echo "installing WeasyPrint's Pango libraries"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0
fi
