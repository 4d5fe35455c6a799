#!/usr/bin/env bash
# Native AOT smoke test: publishes pfsim as a native executable (the README's "Native build") and runs every command on
# the shipped examples with it and with the JIT build (dotnet PfSim.Cli.dll); fails when their stdout, stderr, exit
# status or the files they write differ.
#
# Usage: tests/aot-smoke.sh                       publish, then compare
#        PFSIM_AOT=DIR/pfsim tests/aot-smoke.sh   compare with a native binary published before
#        PFSIM_AOT_PUBLISH_ARGS='-p:X=Y' tests/aot-smoke.sh   extra arguments for dotnet publish
# Last line: "aot-smoke: N commands, JIT and native identical" (exit 0), "aot-smoke: N of M commands differ ..." (exit 1),
# or, when this machine cannot build native code (no ILCompiler package, no clang/linker), "aot-smoke: skipped: WHY"
# (exit 0: the JIT build is still tested by dotnet test).
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/pfsim-aot-smoke.XXXXXX)
say() { echo "aot-smoke: $*"; }

# --- the two builds -------------------------------------------------------------------------------------------------
if ! dotnet build src/PfSim.Cli -c Release -nologo -v q >"$work/build.log" 2>&1; then
  grep -E " error " "$work/build.log" | sort -u | head -20; say "FAILED: dotnet build src/PfSim.Cli"; exit 1
fi
jit=(dotnet src/PfSim.Cli/bin/Release/net10.0/PfSim.Cli.dll)
aot=${PFSIM_AOT:-}
if [ -z "$aot" ]; then
  rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
  publish=(dotnet publish src/PfSim.Cli -c Release -r "$rid" -p:PublishAot=true -o "$work/native" -nologo ${PFSIM_AOT_PUBLISH_ARGS:-})
  echo "aot-smoke: ${publish[*]}"
  if ! "${publish[@]}" >"$work/publish.log" 2>&1; then
    # A machine without the ILCompiler package or a native toolchain cannot build it: say so and skip.
    # Anything else (a trim/AOT warning in our code, now an error) is a failure.
    why=$(grep -m1 -E "NU110[0-9].*ILCompiler|Platform linker|linker .*not found|Symbol stripping tool|NETSDK1203|NETSDK1204" "$work/publish.log")
    if [ -n "$why" ]; then say "skipped: the native build is not possible on this machine: $(sed 's/^ *//; s/ \[.*//' <<<"$why")"; exit 0; fi
    grep -E "error" "$work/publish.log" | sed 's/ \[.*//' | sort -u | head -20
    say "FAILED: the native publish failed (log: $work/publish.log)"; exit 1
  fi
  aot=$work/native/pfsim
fi
[ -x "$aot" ] || { say "FAILED: no native executable at $aot"; exit 1; }

# --- inputs made once (by the JIT build): captures written by the seed lab ------------------------------------------
inputs=$work/inputs
mkdir -p "$inputs"
"${jit[@]}" lab captures/labs/seed/lab.yaml --write-pcap "$inputs/seed.pcap" --write-pflog "$inputs/seed.pflog" >/dev/null 2>&1
head -c 20000 "$inputs/seed-C.pcap" >"$inputs/damaged.pcap"
printf 'pass in on em0 from em0:nosuchmod\nblock all\n' >"$inputs/bad.conf"
printf 'pass in quick on em0 proto tcp to port 22\npass in on em0 proto tcp to port 22\n' >"$inputs/shadowed.conf"

# --- the comparison ---------------------------------------------------------------------------------------------------
# Each case runs with both builds from the repository root; @OUT@ is an empty directory the command may write into
# (the same path for both, so printed paths agree); what it writes there is compared too. STDIN=FILE feeds stdin;
# NORMALIZE=SED_EXPRESSION is applied first to its stdout and the files it wrote (to drop timings); LOCALE=NAME runs
# it under that locale (LANG and LC_ALL).
out=$work/out
cases=0; differ=0
run() {
  local name=$1; shift
  local args=("${@//@OUT@/$out}")
  cases=$((cases + 1))
  for b in jit aot; do
    rm -rf "$out"; mkdir -p "$out"
    local dir=$work/$b/$cases; mkdir -p "$dir"
    local cmd
    if [ $b = jit ]; then cmd=("${jit[@]}"); else cmd=("$aot"); fi
    env ${LOCALE:+LANG=$LOCALE LC_ALL=$LOCALE} "${cmd[@]}" "${args[@]}" <"${STDIN:-/dev/null}" >"$dir/stdout" 2>"$dir/stderr"
    echo $? >"$dir/status"
    if [ -n "${NORMALIZE:-}" ]; then find "$out" "$dir/stdout" -type f -exec sed -i -E "$NORMALIZE" {} +; fi
    mv "$out" "$dir/files"
  done
  if [ "${SMOKE_VERBOSE:-}" = 1 ]; then echo "$(cat "$work/jit/$cases/status") $(wc -l <"$work/jit/$cases/stdout") lines  $name"; fi
  if ! diff -r "$work/jit/$cases" "$work/aot/$cases" >"$work/diff-$cases" 2>&1; then
    differ=$((differ + 1))
    echo "DIFFERS  $name: pfsim ${args[*]}"
    head -20 "$work/diff-$cases" | sed 's/^/    /'
  fi
}

run "help" --help
for c in version check print eval replay lab diff lint test; do run "$c --help" "$c" --help; done
run "version" version
run "usage error" replay captures/labs/seed/C.conf
run "missing file" check /nonexistent/pf.conf

for r in A B C D D-windows; do run "check $r" check captures/labs/seed/$r.conf; done
for r in icmp-only open web; do run "check routed $r" check captures/labs/routed/$r.conf; done
run "check -D" check -D ext_if=em1 --dialect freebsd captures/labs/seed/D.conf
run "check error" check "$inputs/bad.conf"

run "print" print captures/labs/seed/D.conf
run "print --numbers" print --numbers captures/labs/seed/C.conf
run "print --loaded" print --loaded captures/labs/seed/D.conf
run "print -o basic" print -o basic captures/labs/seed/D-windows.conf
run "print -o basic --loaded" print --optimize basic --loaded captures/labs/seed/D.conf
NORMALIZE='s/compiled in [0-9.]+ ms/compiled in N ms/' run "print --compiled" print --compiled captures/labs/seed/D.conf
run "print error" print captures/labs/routed/web.conf

for r in A B C D; do
  run "eval $r" eval -f captures/labs/seed/$r.conf captures/scripts/seed-$r.pkt
  run "eval $r --json --explain" eval --json --explain -f captures/labs/seed/$r.conf captures/scripts/seed-$r.pkt
done
run "eval --check" eval --check -f captures/labs/seed/C.conf captures/scripts/seed-C.pkt
STDIN=captures/scripts/seed-D.pkt run "eval script on stdin" eval -f captures/labs/seed/D.conf -

run "lab seed" lab captures/labs/seed/lab.yaml
run "lab routed" lab captures/labs/routed/lab.yaml
run "lab --explain" lab captures/labs/seed/lab.yaml --explain --tool traceroute --ruleset C
run "lab --trace" lab captures/labs/seed/lab.yaml --trace --tool ping --from ubuntu --ruleset D
LOCALE=de_DE.UTF-8 run "lab --trace, German locale" lab captures/labs/seed/lab.yaml --trace --tool traceroute --ruleset C
run "lab --json" lab --json captures/labs/seed/lab.yaml
run "lab --json --explain" lab --json --explain captures/labs/routed/lab.yaml
run "lab --write-pcap --write-pflog --report" lab captures/labs/seed/lab.yaml --ruleset D --write-pcap @OUT@/seed.pcap --write-pflog @OUT@/seed.pflog --report @OUT@/seed.html

replay=(-f captures/labs/seed/C.conf --if bge0 --local 192.168.50.1)
run "replay pcap" replay "${replay[@]}" "$inputs/seed-C.pcap"
run "replay --json" replay "${replay[@]}" --json "$inputs/seed-C.pcap"
run "replay --summary" replay "${replay[@]}" --summary "$inputs/seed-C.pcap"
run "replay --json --summary" replay "${replay[@]}" --json --summary "$inputs/seed-C.pcap"
run "replay --explain" replay "${replay[@]}" --explain "$inputs/seed-B.pcap"
run "replay --write-pflog" replay -f captures/labs/seed/D.conf --if bge0 --local 192.168.50.1 --write-pflog @OUT@/would-log.pcap "$inputs/seed-D.pcap"
run "replay --write-pflog freebsd" replay -f captures/labs/seed/D.conf --if bge0 --local 192.168.50.1 --write-pflog @OUT@/would-log.pcap --pflog-layout freebsd "$inputs/seed-D.pcap"
run "replay pflog input" replay -f captures/labs/seed/C.conf "$inputs/seed-D.pflog"
run "replay pflog --json --summary" replay -f captures/labs/seed/C.conf --json --summary "$inputs/seed-D.pflog"
run "replay --verbose" replay -f captures/labs/seed/D.conf --verbose --summary "$inputs/seed-D.pflog"
STDIN=$inputs/seed-C.pcap run "replay stdin" replay "${replay[@]}" --summary -
run "replay damaged" replay "${replay[@]}" "$inputs/damaged.pcap"
run "replay --keep-going" replay "${replay[@]}" --keep-going "$inputs/damaged.pcap"
peer=/work/shared/peer/captures/pflog/scapy
if [ -d "$peer" ]; then
  for f in "$peer"/*.pcap; do run "replay peer $(basename "$f")" replay -f captures/labs/seed/A.conf --json "$f"; done
fi

run "diff" diff captures/labs/seed/B.conf captures/labs/seed/C.conf
run "diff --json" diff --json captures/labs/seed/A.conf captures/labs/seed/D-windows.conf
run "diff same" diff captures/labs/seed/C.conf captures/labs/seed/C.conf
run "diff error" diff "$inputs/bad.conf" captures/labs/seed/C.conf
run "lint" lint captures/labs/seed/D.conf
run "lint findings" lint "$inputs/shadowed.conf"
run "lint --json" lint --json "$inputs/shadowed.conf"
run "lint error" lint captures/labs/routed/web.conf

run "test" test captures/specs/seed-C.yaml
NORMALIZE='s/ time="[0-9.]+"//g' run "test failing --seed --junit" test --seed 7 captures/specs/seed-C.yaml captures/specs/seed-C-wrong.yaml --junit @OUT@/results.xml

if [ "$differ" -gt 0 ]; then say "$differ of $cases commands differ between JIT and native (outputs in $work)"; exit 1; fi
rm -rf "$work"
say "$cases commands, JIT and native identical (stdout, stderr, exit status, files written)"
