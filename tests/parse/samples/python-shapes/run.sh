#!/bin/sh
# Uncaught crashes of CPython 3.11, one process per shape, as a restarting container
# writes them (stdout and stderr as one stream).
cd "$(dirname "$0")"
echo '@@logship@@ meta {"framework": "python runtime", "version": "'"$(python3 -c 'import platform; print(platform.python_version())')"'", "language": "python"}'
for shape in during-handling syntax-error exception-group tuple-args printed; do
    python3 app.py "$shape"
    echo "@@logship@@ end"
done
