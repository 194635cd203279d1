#!/usr/bin/env bash
# The system libraries and programs fiches needs: Debian's chromium for kaleido (never kaleido's own
# download) and, on Debian, its headless shell, which kaleido uses when present (same SVG, half the
# start-up; on GitHub's Ubuntu runners the browser comes from .github/scripts/runner-packages.sh),
# Pango for WeasyPrint, and poppler-utils for looking at PDFs. Installs them with apt-get; without it,
# says in one line what to install and exits non-zero.
# FICHES_FORCE_MISSING=1 makes every check fail (for the tests).
set -u
missing=""
forced="${FICHES_FORCE_MISSING:-}"
have() { [ -z "$forced" ] && command -v "$1" >/dev/null 2>&1; }
have chromium || missing="$missing chromium"
if ! have chromium-headless-shell && grep -qs '^ID=debian' /etc/os-release; then
  missing="$missing chromium-headless-shell"
fi
have pdftotext || missing="$missing poppler-utils"
if [ -n "$forced" ] || ! { ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0; }; then
  missing="$missing libpango-1.0-0 libpangoft2-1.0-0"
fi
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "fiches a besoin de Pango, d'un Chromium (chromium-headless-shell ou chromium) et de poppler (manquants :$missing) : installez-les (macOS : brew install pango poppler, plus Chromium) ou utilisez le conteneur (Dockerfile, .devcontainer/)." >&2
  exit 1
fi
echo "installing system packages:$missing"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
