#!/usr/bin/env bash
# Regenerate data/*.txt.gz: the traces real runtimes print for the reliability suite.
# Needs python3 and a JDK 17 (javac, java). Output is what the runtime wrote to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
programs=$here/programs
data=$here/data
mkdir -p "$data"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

capture() {  # name, command...: run it, keep stderr (it is expected to fail)
    local name=$1
    shift
    (cd "$programs" && "$@" 2>"$build/$name.txt" >/dev/null) || true
    gzip -9 -n -c "$build/$name.txt" >"$data/$name.txt.gz"
    echo "$name: $(wc -l <"$build/$name.txt") lines" >&2
}

capture python_deep_recursion python3 deep_recursion.py
capture python_deep_chain python3 deep_chain.py
capture python_cyclic_chain python3 cyclic_chain.py

javac -d "$build" "$programs"/*.java
capture java_deep_recursion java -Xss512m -XX:MaxJavaStackTraceDepth=100000 -cp "$build" DeepRecursion
capture java_deep_cause java -cp "$build" DeepCause
capture java_cyclic_cause java -cp "$build" CyclicCause
