"""The template language of fingerprint, title and runbook templates.

A template is text with ``{{ variable }}`` placeholders. The loader checks a
file's templates against :data:`TEMPLATE_VARIABLES`; the rules stage
(:mod:`logship.rules`) renders them with the values of one error. Both read the
placeholder syntax from here, so what loads is exactly what renders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

__all__ = ["TEMPLATE_VARIABLE", "TEMPLATE_VARIABLES", "render_runbook"]

# A ``{{ variable }}`` placeholder; group 1 is the variable's name.
TEMPLATE_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

# The variables a template may use; ``default`` only as a whole fingerprint
# element (it expands to the default fingerprint). Their values for one error:
# ``logship.rules._match.template_values``.
TEMPLATE_VARIABLES: tuple[str, ...] = (
    "default",
    "service",
    "type",
    "root_cause",
    "message_template",
    "function",
    "logger",
    "log_group",
    "level",
)


def render_runbook(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{{ variable }}`` replaced by its value, percent-encoded.

    Each value is encoded whole, ``/`` included: a log group ``/ecs/orders``
    stays one path segment (``%2Fecs%2Forders``), and a value such as
    ``<untyped>`` or a message template with spaces cannot break the URL.
    """
    return TEMPLATE_VARIABLE.sub(lambda m: quote(values[m.group(1)], safe=""), template)
