"""The AWS Lambda entry point: ``Handler: lambda_handler.handler``.

Thin on purpose: the work is in :mod:`logship.aws_lambda`. Importing this
module loads the pipeline and sentry-sdk, never boto3 (only read when the DSN
or the rules live in AWS) nor the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logship.aws_lambda import LambdaContext
from logship.aws_lambda import handler as _handler


def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Decode the CloudWatch Logs, Kinesis or Firehose ``event`` and ship its errors."""
    return _handler(event, context)
