#!/usr/bin/env bash
# Rebuild assets/tailwind.css after adding Tailwind classes to app/ or assets/ (tests/test_tailwind_css.py
# says when it is out of date). Needs Node.js and npm; the app itself does not.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
npm install --silent --no-audit --no-fund
./node_modules/.bin/tailwindcss -i input.css -o ../../assets/tailwind.css --minify
