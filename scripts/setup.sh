#!/usr/bin/env bash
# Sets up a fresh machine for nnc: pnpm (pinned, from the npm registry; corepack's signature
# check fails against some registries, so it is not used), the workspace's dependencies, and
# Debian's chromium for the browser tests (skip it with NNC_SKIP_CHROMIUM=1).
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" --silent
fi

echo "setup: installing workspace dependencies"
pnpm install --frozen-lockfile

if [ "${NNC_SKIP_CHROMIUM:-0}" != "1" ]; then
  bash scripts/install-chromium.sh
fi
