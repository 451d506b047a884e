#!/usr/bin/env bash
# Fuzzes the checkpoint readers and the weights step for a bounded time (not part of CI).
#
#   tools/fuzz/run.sh [seconds] [seed]        # default 300 s, seed 1
#   tools/fuzz/run.sh --replay N --seed S     # rebuild iteration N of seed S, run it once, print its report
#
# Findings (inputs with a report each) go to $FUZZ_OUT/findings, default /tmp/repvgg-fuzz: outside the
# repository, since most are kept only until a regression test builds the same input in code.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${FUZZ_OUT:-/tmp/repvgg-fuzz}
# An input that allocates without bound should fail with OutOfMemoryException (itself a finding) long
# before it takes the machine: 4 GB, hex as the runtime reads it. The fuzzer's own data stays far below.
export DOTNET_GCHeapHardLimit=${DOTNET_GCHeapHardLimit:-0x100000000}
# One core for the input, one left for whoever else is on the machine; no tiered-compilation warm-up
# noise in the timings of the first inputs.
export DOTNET_gcServer=0 DOTNET_TieredPGO=0

dotnet build tools/fuzz/RepVgg.Fuzz -c Release -v quiet -nologo >/dev/null
fuzz=(dotnet tools/fuzz/RepVgg.Fuzz/bin/Release/net10.0/RepVgg.Fuzz.dll --out "$out")

if [[ ${1:-} == --replay ]]; then
  exec "${fuzz[@]}" "$@"
fi

seconds=${1:-300}
seed=${2:-1}
start=0
deadline=$(( $(date +%s) + seconds ))
mkdir -p "$out/findings"
rm -f "$out/next-iteration"
# The fuzzer exits 75 after giving up on a hung input, and dies outright on a stack overflow or when
# the kernel kills it; either way it is restarted after the input that stopped it until time is up.
while (( $(date +%s) < deadline )); do
  set +e
  "${fuzz[@]}" --seconds $(( deadline - $(date +%s) )) --seed "$seed" --start "$start"
  code=$?
  set -e
  if (( code == 0 )); then
    break
  elif (( code == 75 )); then
    start=$(cat "$out/next-iteration")
  else
    read -r _ iteration input < "$out/work/current.txt"
    saved="$out/findings/process-died-$seed-$iteration"
    mkdir -p "$saved"
    cp "$input" "$saved/" 2>/dev/null || true
    { echo "the process exited with code $code while reading this input (seed $seed, iteration $iteration)"; tail -n +2 "$out/work/current.txt"; } > "$saved/report.txt"
    echo "run.sh: the fuzzer died (exit code $code) at iteration $iteration; saved in $saved; restarting after it"
    start=$(( iteration + 1 ))
  fi
done
echo "run.sh: findings in $out/findings"
