#!/usr/bin/env bash
# Builds the Lambda bundle that template.yaml's CodeUri points at: dist/lambda/.
#
# logship and its runtime dependencies (sentry-sdk, structlog, regex) are installed for
# the function's platform (arm64, Python 3.12) from wheels, plus the root lambda_handler.py.
# boto3 is not bundled: the Lambda runtime provides it. Then: sam deploy --guided.
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist/lambda
rm -rf "$out"
mkdir -p "$out"
python -m pip install --quiet --disable-pip-version-check --no-compile . --target "$out" \
    --platform manylinux2014_aarch64 --implementation cp --python-version 3.12 \
    --only-binary=:all:
cp lambda_handler.py "$out/"
rm -rf build  # setuptools leaves its build tree beside the sources
# Precompile for the runtime's Python: the function's file system is read-only, so a
# bundle without bytecode compiles every module from source on every cold start
# (about 150 ms for sentry-sdk, urllib3 and logship). unchecked-hash: the runtime
# trusts the .pyc without comparing source timestamps (zip extraction changes them).
# PYTHON312 names that interpreter when it is not on PATH as python3.12.
runtime_python=${PYTHON312:-python3.12}
if "$runtime_python" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
    "$runtime_python" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$out" >/dev/null
else
    echo "warning: no Python 3.12 ($runtime_python); the bundle has no bytecode" \
        "(slower cold starts); set PYTHON312" >&2
fi
# A rules file bundled with the function is found at LOGSHIP_CONFIG=logship.toml.
if [[ -f logship.toml ]]; then cp logship.toml "$out/"; fi
echo "built $out ($(du -sh "$out" | cut -f1))"
