#!/usr/bin/env bash
# Times `pfsim replay` (ruleset D, state, summary) against `tcpdump -r FILE -w /dev/null` on the same generated
# capture, best of N runs each, whole processes (pfsim's includes .NET start-up and loading the ruleset).
# Usage: bench/replay-vs-tcpdump.sh [PACKETS] [RUNS]   (defaults 1000000 5)
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-1000000}
runs=${2:-5}
file=${FILE:-/tmp/pfsim-bench-$packets.pcap}
command -v tcpdump >/dev/null || { echo "tcpdump is not installed (apt-get install tcpdump)"; exit 2; }
dotnet build -c Release -nologo -v q src/PfSim.Cli >/dev/null
dotnet build -c Release -nologo -v q bench/PfSim.Bench >/dev/null
[ -f "$file" ] || dotnet bench/PfSim.Bench/bin/Release/net10.0/PfSim.Bench.dll make-capture "$file" "$packets"

best_ms() {  # best wall time of $runs runs of the command, in milliseconds
  local best=""
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
    local ms=$(( (e - s) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

tcpdump_cmd=(tcpdump -r "$file" -w /dev/null)
pfsim_cmd=(dotnet src/PfSim.Cli/bin/Release/net10.0/PfSim.Cli.dll replay -f captures/labs/seed/D.conf
           --if bfe0 --local 192.168.50.1 --summary "$file")
t=$(best_ms "${tcpdump_cmd[@]}")
p=$(best_ms "${pfsim_cmd[@]}")
echo "file:    $file ($packets packets, $(stat -c %s "$file") bytes)"
echo "tcpdump: ${t} ms  (${tcpdump_cmd[*]})"
echo "pfsim:   ${p} ms  (${pfsim_cmd[*]})"
awk -v p="$p" -v t="$t" 'BEGIN { printf "ratio pfsim/tcpdump: %.2f (best of '"$runs"' runs each; below 1 means pfsim is faster)\n", p / t }'
