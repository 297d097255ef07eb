#!/usr/bin/env bash
# Coverage-guided fuzzing of the schema layer: AFL++ through SharpFuzz. Not part of the normal test run.
#
#   tests/Fuzz/run-afl.sh [SECONDS]        (default 600; findings in $AFL_OUT, default /tmp/reconciler-afl)
#
# Needs afl-fuzz (Debian: apt-get install afl++) and the sharpfuzz tool (dotnet tool install -g
# SharpFuzz.CommandLine). Seeds: the examples and the smallest files of the public corpus beside the
# repository (../shared/corpus), which AFL++ then mutates guided by the branches each input reaches in the
# instrumented Reconciler.Schema.dll. A crash is any input the harness (Program.cs) rejects: an exception, an
# exception the schema layer caught, a refusal without a message, a valid definition that does not read back.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-600}
out=${AFL_OUT:-/tmp/reconciler-afl}
work=$(mktemp -d)
PATH="$PATH:$HOME/.dotnet/tools"

command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 2; }
command -v sharpfuzz >/dev/null || { echo "sharpfuzz not found: dotnet tool install -g SharpFuzz.CommandLine" >&2; exit 2; }

dotnet build "$here/Reconciler.Fuzz.csproj" -c Release -o "$work/bin" -nologo -v quiet
sharpfuzz "$work/bin/Reconciler.Schema.dll"

mkdir -p "$work/in"
find "$root/examples" -name '*.xml' -exec cp {} "$work/in/" \;
corpus="$root/../shared/corpus/libvirt-9.0.0"
if [ -d "$corpus" ]; then
  find "$corpus" -name '*.xml' -not -path '*/schemas/*' -not -path '*/dumpxml/*' -size -2k | sort | head -n 300 |
    while read -r f; do cp "$f" "$work/in/$(printf '%s' "$f" | md5sum | cut -c1-12).xml"; done
fi

dict=()
[ -f /usr/share/afl/dictionaries/xml.dict ] && dict=(-x /usr/share/afl/dictionaries/xml.dict)
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
[ -d "$out/default" ] && in=- || in="$work/in"   # resume a previous run
afl-fuzz -i "$in" -o "$out" -V "$seconds" -t 10000 -m none "${dict[@]}" -- dotnet "$work/bin/Reconciler.Fuzz.dll" || true

stats="$out/default/fuzzer_stats"
if [ -f "$stats" ]; then
  grep -E '^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|run_time) ' "$stats"
fi
echo "replay findings: dotnet $work/bin/Reconciler.Fuzz.dll $out/default/crashes/id* $out/default/hangs/id*"
