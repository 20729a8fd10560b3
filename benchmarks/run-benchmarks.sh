#!/usr/bin/env bash
# Runs Flint's JMH benchmarks, writes the JSON result (default benchmarks/results/<date>-<host>.json),
# prints a table and draws a PNG chart beside the JSON.
#
#   benchmarks/run-benchmarks.sh [--quick] [--out FILE.json] [JMH options] [benchmark regexps]
#
# --quick: 1 fork, 3 warmup iterations of 1 s + 5 measurement iterations of 0.5 s (about 80 s). Anything else
# goes to JMH, e.g. `-f 3` or `VirtqueueBenchmark`. Without /dev/kvm the KVM benchmarks are skipped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/jar-env.sh"

args=("$@")
if [[ " $* " != *" --out "* ]]; then
  args+=(--out "$BENCH_DIR/results/$(date +%F)-$(hostname -s).json")
fi
exec "$JAVA" --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true -jar "$BENCH_JAR" "${args[@]}"
