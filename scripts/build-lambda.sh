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
python -m pip install --quiet --disable-pip-version-check . --target "$out" \
    --platform manylinux2014_aarch64 --implementation cp --python-version 3.12 \
    --only-binary=:all:
cp lambda_handler.py "$out/"
rm -rf build  # setuptools leaves its build tree beside the sources
# A rules file bundled with the function is found at LOGSHIP_CONFIG=logship.toml.
if [[ -f logship.toml ]]; then cp logship.toml "$out/"; fi
echo "built $out ($(du -sh "$out" | cut -f1))"
