#!/usr/bin/env bash
# Fails (exit 1, with a table) when CURRENT is worse than BASELINE by more than the noise both
# runs measured (JMH's 99.9% error of each score, combined). Exit 0: no regression; 2: cannot judge.
# Also takes rig-bench.sh results: their Flint/peer ratios, noise = half the per-round spread.
#
#   benchmarks/guard.sh benchmarks/baseline/<file>.json benchmarks/results/<file>.json
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/jar-env.sh"
exec "$JAVA" -cp "$BENCH_JAR" dev.flint.benchmarks.tools.RegressionGuard "$@"
