#!/usr/bin/env bash
# The GPU check (issue #6) as one bundle for a GPU machine that may have no .NET. Not part of CI.
#
#   tools/gpu-check/run.sh bundle           # here: publish self-contained linux-x64 and pack it as
#                                           # tools/gpu-check/out/gpu-check.tar.xz; fails if it is over 40 MB
#   tools/gpu-check/run.sh run [options]    # on the GPU machine: unpack the bundle and run the check with the
#                                           # options of repvgg-gpu-check (none: the full CUDA check)
#
# `run` prints the report and writes it, with the whole log, to $OUT (the device tool's folder that comes back)
# or else tools/gpu-check/out: gpu-check-report.md and gpu-check.log. It exits with the check's code:
# 0 passed, 1 a GPU result outside the bound, 2 usage, 3 no GPU engine (no CUDA device or driver, or a GPU
# backend that cannot make one), 4 unusable checkpoint or input file, 5 other failure; 6 for no bundle.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=tools/gpu-check/out
tarball=$out/gpu-check.tar.xz
# What can be sent to a GPU machine is 64 MB in all; the bundle keeps well under it.
limit_bytes=$((40 * 1024 * 1024))

bundle() {
  rm -rf "$out/publish" "$tarball"
  mkdir -p "$out"
  # Self-contained: the runtime travels with the program. Not trimmed: ILGPU compiles kernels from IL at run
  # time, reflecting over code a trimmer cannot see is used. Invariant globalization: no ICU on the machine needed.
  dotnet publish tools/gpu-check/RepVgg.GpuCheck -c Release -r linux-x64 --self-contained true \
    -p:InvariantGlobalization=true -p:DebugType=none -p:DebugSymbols=false -p:GenerateDocumentationFile=false \
    -o "$out/publish" -nologo -v quiet
  XZ_OPT=-9 tar -C "$out/publish" -cJf "$tarball" .
  local size
  size=$(stat -c %s "$tarball")
  echo "run.sh: $tarball: $(( size / 1024 / 1024 )).$(( size % (1024 * 1024) * 10 / (1024 * 1024) )) MB ($size bytes; the limit is 40 MB)"
  if (( size > limit_bytes )); then
    echo "run.sh: error: the bundle is over 40 MB" >&2
    exit 1
  fi
}

run() {
  if [[ ! -f $tarball ]]; then
    echo "run.sh: error: no $tarball; make it with 'tools/gpu-check/run.sh bundle' and send it along (the device tool's carry)" >&2
    exit 6
  fi
  local dir results
  dir=$(mktemp -d /tmp/repvgg-gpu-check.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  if command -v xz >/dev/null; then
    tar -C "$dir" -xJf "$tarball"
  else
    /usr/bin/env python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$tarball" "$dir"
  fi
  # ILGPU loads the CUDA driver as libcuda.so; some hosts have only libcuda.so.1 (the driver package without the
  # development link). Point the loader at it through a link of our own rather than failing with "no CUDA".
  local libraries
  libraries=$(ldconfig -p 2>/dev/null || true)
  if ! grep -q 'libcuda\.so ' <<< "$libraries"; then
    local driver
    driver=$(awk '/libcuda\.so\.1 .*x86-64/ { print $NF; exit }' <<< "$libraries")
    if [[ -n $driver ]]; then
      mkdir -p "$dir/cuda"
      ln -s "$driver" "$dir/cuda/libcuda.so"
      export LD_LIBRARY_PATH="$dir/cuda${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
  fi
  results=${OUT:-$out}
  mkdir -p "$results"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/run.sh: nvidia-smi: /' || true
  # The clock and power limit the per-layer mma-per-cycle figures in docs/gpu.md are worked out from (asked apart, so
  # that a driver without these fields still prints the line above).
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=clocks.max.sm,clocks.sm,power.limit --format=csv | sed 's/^/run.sh: nvidia-smi: /' || true
  local report=(--report "$results/gpu-check-report.md")
  [[ " $* " == *" --checkpoint "* ]] && report=()   # one checkpoint's logits go where its options say
  set +e
  "$dir/repvgg-gpu-check" "${report[@]}" "$@" 2>&1 | tee "$results/gpu-check.log"
  local code=${PIPESTATUS[0]}
  set -e
  echo "run.sh: exit code $code; report and log in $results"
  exit "$code"
}

case ${1:-} in
  bundle) bundle ;;
  run) shift; run "$@" ;;
  *) echo "usage: tools/gpu-check/run.sh bundle | run [repvgg-gpu-check options]" >&2; exit 2 ;;
esac
