#!/usr/bin/env bash
# Make sure Debian's Chromium and a CJK font are present for the browser tests, plus poppler
# (renders generated PDFs to PNG) and zbar (decodes the printed QR labels) for the printing tests.
# (Playwright's own browser download does not work offline; we drive /usr/bin/chromium.)
# Also libfaketime, which `make test-clock` (and CI) uses to run the suite with the clock moved.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)
command -v pdftoppm >/dev/null || need+=(poppler-utils poppler-data)
command -v zbarimg >/dev/null || need+=(zbar-tools)
command -v faketime >/dev/null || need+=(faketime)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
  echo "Browser tests need: ${need[*]} (apt-get install ${need[*]}); run as root or install them first." >&2
  exit 1
fi
echo "Installing ${need[*]} for the browser tests..."
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
