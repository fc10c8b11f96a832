#!/usr/bin/env bash
# Create .venv and install movierec (with the test extras when called with "test").
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# The local Neo4j needs Java 17+ and Maven (once, to fetch the server jars).
if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
  else
    echo "warning: java and mvn are needed for \`movierec neo4j start\` (apt-get install openjdk-17-jre-headless maven)" >&2
  fi
fi
# The browser test drives Debian's Chromium with Playwright (never a Playwright browser download).
if [ "${1:-}" = "test" ] && ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } ||
      echo "warning: could not install chromium; the Neo4j Browser test will be skipped" >&2
  else
    echo "warning: the Neo4j Browser test needs Debian's chromium (apt-get install chromium); skipped without it" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# pip's and the build backend's chatter (setuptools warns about every editable install) goes to a log, shown
# only when the install fails: a user sees one line.
LOG=.venv/install.log
target=.
[ "${1:-}" = "test" ] && target='.[test]'
if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e "$target"; } \
    >"$LOG" 2>&1; then
  cat "$LOG" >&2
  echo "error: installing movierec into .venv failed (the log above is $LOG)" >&2
  exit 1
fi
echo "movierec installed in .venv (pip's log: $LOG)" >&2
