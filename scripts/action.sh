#!/usr/bin/env bash
# The shell part of the GitHub Action (action.yml): restore archive.db from the cache directory,
# `archiver run` with --fail-on new, the Markdown report into the job summary, the database saved
# back into the cache directory (whatever the run's exit code), and archiver's exit code kept.
#
# Environment (action.yml sets it from the action's inputs; tests set it by hand):
#   ARCHIVER_CACHE_DIR   the folder actions/cache restores and saves (required)
#   ARCHIVER_PATHS       documents to check, separated by newlines or spaces  [sources.txt]
#   ARCHIVER_DB          the working copy of the database                     [archive.db]
#   ARCHIVER_FAIL_ON     --fail-on for `archiver run`                          [new]
#   ARCHIVER_ARGS        more options for `archiver run` (split on spaces)
#   ARCHIVER_BIN         the archiver command                                 [archiver]
#   GITHUB_STEP_SUMMARY  the job summary file (set by GitHub Actions)
#   GITHUB_OUTPUT        step outputs: exit-code, report (set by GitHub Actions)
set -uo pipefail

cache="${ARCHIVER_CACHE_DIR:?ARCHIVER_CACHE_DIR: the cache folder to restore archive.db from and save it to}"
db="${ARCHIVER_DB:-archive.db}"
bin="${ARCHIVER_BIN:-archiver}"
report="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/archiver-report.$$.md"
mkdir -p "$cache"
cached="$cache/$(basename "$db")"

# Copy a SQLite database whole through SQLite's backup API: a consistent file even if a -wal is beside it.
copy_db() {
  python3 -c 'import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2] + ".part")
src.backup(dst); dst.close(); src.close()' "$1" "$2" && mv -f "$2.part" "$2"
}

if [ -f "$cached" ] && [ ! -f "$db" ]; then
  copy_db "$cached" "$db" && echo "archiver: restored $db from the cache" >&2
elif [ -f "$cached" ]; then
  echo "archiver: $db is in the checkout: used instead of the cached copy" >&2
else
  echo "archiver: no cached $db yet: this run starts the history" >&2
fi

# shellcheck disable=SC2086  # paths and options are split on purpose (no paths with spaces)
"$bin" run ${ARCHIVER_PATHS:-sources.txt} --db "$db" --fail-on "${ARCHIVER_FAIL_ON:-new}" \
  --format markdown --report-out "$report" ${ARCHIVER_ARGS:-}
status=$?

case $status in
  0) verdict="nothing new is broken" ;;
  1) verdict="something new is broken or changed (exit 1)" ;;
  2) verdict="usage or configuration error (exit 2)" ;;
  *) verdict="the run could not finish (exit $status): see the log" ;;
esac
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    echo "## archiver: $verdict"
    echo
    if [ -s "$report" ]; then cat "$report"; else echo "No report was written."; fi
  } >> "$GITHUB_STEP_SUMMARY"
fi
if [ -f "$db" ]; then
  copy_db "$db" "$cached" && echo "archiver: saved $db to the cache" >&2
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "exit-code=$status" >> "$GITHUB_OUTPUT"
  echo "report=$report" >> "$GITHUB_OUTPUT"
fi
exit $status
