#!/bin/sh
# Node 20 traces, printed stacks and uncaught crashes, one process per shape as a
# restarting container writes them (stdout and stderr as one stream). No packages.
cd "$(dirname "$0")"
echo '@@logship@@ meta {"framework": "node runtime", "version": "'"$(node --version)"'", "language": "node"}'
for shape in printed rejection-value rejection-error system-error aggregate; do
    node app.js "$shape" 2>&1
    echo "@@logship@@ end"
done
