#!/usr/bin/env bash
# Times `pfsim replay` (ruleset D, state, summary) against `tcpdump -r FILE -w /dev/null` on the same generated
# capture, best of N runs each, whole processes (pfsim's includes .NET start-up and loading the ruleset).
# pfsim runs three ways: as `dotnet build` leaves it (JIT at start-up), published ReadyToRun (precompiled IL, still
# JIT-tiered: dotnet publish src/PfSim.Cli -c Release -r linux-x64 -p:PublishReadyToRun=true), and published Native
# AOT (README, "Native build": dotnet publish src/PfSim.Cli -c Release -r linux-x64 -p:PublishAot=true), the way to
# ship pfsim for replaying large captures. The ratio that counts is the native one.
# Usage: bench/replay-vs-tcpdump.sh [PACKETS] [RUNS]   (defaults 1000000 5)
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-1000000}
runs=${2:-5}
file=${FILE:-/tmp/pfsim-bench-$packets.pcap}
command -v tcpdump >/dev/null || { echo "tcpdump is not installed (apt-get install tcpdump)"; exit 2; }
dotnet build -c Release -nologo -v q src/PfSim.Cli >/dev/null
dotnet build -c Release -nologo -v q bench/PfSim.Bench >/dev/null
r2r=bench/PfSim.Bench/bin/replay-r2r
rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
dotnet publish src/PfSim.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o "$r2r" -nologo -v q >/dev/null
aot=bench/PfSim.Bench/bin/replay-aot
dotnet publish src/PfSim.Cli -c Release -r "$rid" -p:PublishAot=true -o "$aot" -nologo -v q >/dev/null
native=$aot/pfsim
[ -x "$native" ] || native=$aot/PfSim.Cli
[ -f "$file" ] || dotnet bench/PfSim.Bench/bin/Release/net10.0/PfSim.Bench.dll make-capture "$file" "$packets"

# Best of $runs runs: "WALL_MS CPU_MS" (CPU = user + sys, the fairer figure on a shared, loaded machine).
best_ms() {
  local best_wall="" best_cpu=""
  for _ in $(seq "$runs"); do
    local out wall cpu
    /usr/bin/time -o /tmp/pfsim-bench-time -f "%e %U %S" "$@" >/dev/null 2>&1
    out=$(tail -n 1 /tmp/pfsim-bench-time)
    wall=$(awk '{ printf "%d", $1 * 1000 }' <<<"$out")
    cpu=$(awk '{ printf "%d", ($2 + $3) * 1000 }' <<<"$out")
    if [ -z "$best_wall" ] || [ "$wall" -lt "$best_wall" ]; then best_wall=$wall; fi
    if [ -z "$best_cpu" ] || [ "$cpu" -lt "$best_cpu" ]; then best_cpu=$cpu; fi
  done
  echo "$best_wall $best_cpu"
}

tcpdump_cmd=(tcpdump -r "$file" -w /dev/null)
args=(replay -f captures/labs/seed/D.conf --if bfe0 --local 192.168.50.1 --summary "$file")
pfsim_cmd=(dotnet src/PfSim.Cli/bin/Release/net10.0/PfSim.Cli.dll "${args[@]}")
r2r_cmd=(dotnet "$r2r/PfSim.Cli.dll" "${args[@]}")
native_cmd=("$native" "${args[@]}")
start_cmd=(dotnet "$r2r/PfSim.Cli.dll" version)
native_start_cmd=("$native" version)
read -r tw tc <<<"$(best_ms "${tcpdump_cmd[@]}")"
read -r pw pc <<<"$(best_ms "${pfsim_cmd[@]}")"
read -r rw rc <<<"$(best_ms "${r2r_cmd[@]}")"
read -r nw nc <<<"$(best_ms "${native_cmd[@]}")"
read -r sw sc <<<"$(best_ms "${start_cmd[@]}")"
read -r xw xc <<<"$(best_ms "${native_start_cmd[@]}")"
echo "file:    $file ($packets packets, $(stat -c %s "$file") bytes)"
echo "tcpdump: wall ${tw} ms, cpu ${tc} ms  (${tcpdump_cmd[*]})"
echo "pfsim:   wall ${pw} ms, cpu ${pc} ms  (${pfsim_cmd[*]})"
echo "pfsim R2R: wall ${rw} ms, cpu ${rc} ms  (${r2r_cmd[*]})"
echo "pfsim native (AOT): wall ${nw} ms, cpu ${nc} ms  (${native_cmd[*]})"
echo "start-up alone (pfsim version): R2R wall ${sw} ms, cpu ${sc} ms; native wall ${xw} ms, cpu ${xc} ms"
awk -v pw="$pw" -v tw="$tw" -v pc="$pc" -v tc="$tc" -v rw="$rw" -v rc="$rc" -v nw="$nw" -v nc="$nc" 'BEGIN {
  tc = tc > 0 ? tc : 1
  printf "ratio pfsim/tcpdump: native wall %.2f, cpu %.2f; JIT wall %.2f, cpu %.2f; R2R wall %.2f, cpu %.2f (best of '"$runs"' runs each; below 1 means pfsim is faster)\n", nw / tw, nc / tc, pw / tw, pc / tc, rw / tw, rc / tc }'
