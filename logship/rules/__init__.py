"""Rules stage: ignore lists, custom fingerprints, owners and routes from ``logship.toml``.

- :func:`decide` applies a :class:`~logship.config.Config`'s rules to one
  :class:`~logship.records.Fingerprinted`: the first matching fingerprint
  rule re-fingerprints it, then the first matching ignore rule drops it (or
  keeps 1 in ``sample``); an error that is kept gets the
  :class:`~logship.records.Annotation` of every matching annotate rule (first
  wins per key) and the names of every matching route rule.
- :func:`expiry_warnings` lists ignore rules past their ``until`` date.

The file is loaded by :func:`logship.config.load_config`; see ``docs/rules.md``
for its format and a cookbook. The matchers (``_match``, ``_annotate``) load
with the first config that has rules (see :func:`decide`).
"""

from __future__ import annotations

from ._decide import decide, expired_rules, expiry_warnings

__all__ = ["decide", "expired_rules", "expiry_warnings"]
