#!/usr/bin/env bash
# Spike detector on the daily `news` family of the shared spike benchmark; prints its news tables.
# usage: bench/spikes_news.sh SHARED_SPIKES_DIR [SEED [REPS_NEWS [FALSE_ALARM_RATE]]]
#   e.g. bench/spikes_news.sh /work/shared/spikes 20130330 40 0.009
# Runs run.sh with the no-look-ahead check, the py_nb_guard anchor for comparison and our detector
# (`monitor spikes detect-csv`); output goes to a fresh temp folder (path printed).
set -euo pipefail
shared=${1:?usage: bench/spikes_news.sh SHARED_SPIKES_DIR [SEED [REPS_NEWS [FALSE_ALARM_RATE]]]}
seed=${2:-20130330}
reps=${3:-40}
rate=${4:-0.009}
here=$(cd "$(dirname "$0")/.." && pwd)
monitor="$here/.venv/bin/monitor"
[[ -x "$monitor" ]] || monitor=$(command -v monitor)
out=$(mktemp -d /tmp/spikes-bench.XXXXXX)
cd "$shared"
OUT="$out" SEED="$seed" REPS_NEWS="$reps" REPS_NOUFAILY=0 CHECK_CAUSAL=1 ONLY="py_nb_guard" \
  EXTRA="ours|$monitor spikes detect-csv --false-alarm-rate $rate {input}" bash run.sh
