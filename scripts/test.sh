#!/usr/bin/env bash
# `make test`: the whole pytest suite, in two processes at once. The emulator deploy (marker `emulator`)
# spends most of its time waiting on the AWS provider's own polling, so everything else runs beside it
# instead of after it. Same tests as a plain `pytest`; fails if either part fails. Extra arguments go to both.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache
log=.cache/emulator-tests.log
python3 -m pipenv run pytest -m emulator -p no:cacheprovider "$@" >"$log" 2>&1 &
emulator=$!
python3 -m pipenv run pytest -m "not emulator" "$@"
rest=$?
wait "$emulator"
deployed=$?
echo "==> emulator deploy tests (log: $log)"
cat "$log"
[ "$rest" -eq 0 ] && [ "$deployed" -eq 0 ]
