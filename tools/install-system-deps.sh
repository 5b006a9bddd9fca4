#!/usr/bin/env bash
# System libraries that pip cannot install: Pango/HarfBuzz for WeasyPrint (PDF handouts),
# poppler-utils for the handout tests (pdftotext, pdftoppm) and Debian's chromium for the
# browser tests. Installs what is missing with apt (Debian/Ubuntu); elsewhere it prints
# what to install and carries on (see README, "Troubleshooting").
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils chromium)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
    echo "grandrounds: please install: Pango (>= 1.44), poppler-utils and Chromium (see README)" >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "grandrounds: run as root or install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "grandrounds: installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
