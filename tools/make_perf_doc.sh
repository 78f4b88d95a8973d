#!/usr/bin/env bash
# Rebuilds docs/perf.md from the per-stage sections in docs/perf/*.md (each written by the
# stage's benchmarks, with the commands that made its numbers).
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo "# lidardet performance"
  echo
  echo "Every number below was measured with a benchmark (Google Benchmark, \`lidardet bench\` or a"
  echo "script in tools/), with the command that made it. Ratios compare against a baseline run in"
  echo "the same process or script. Unless a section says otherwise the machine was the shared"
  echo "2-core development machine, often under load from parallel builds, so CPU times are"
  echo "quoted where wall times were noisy. GPU sections: tools/gpu_check.sh prints them on a"
  echo "machine with a CUDA GPU; none was lent for the numbers below."
  echo
  for f in docs/perf/*.md; do
    echo
    echo "<!-- from $f -->"
    sed 's/^# /## /' "$f"
  done
} > docs/perf.md.tmp
mv docs/perf.md.tmp docs/perf.md
