"""Stage 1, content: YAML with positions → a validated, immutable publication."""

DEFAULTS_FILE = "_defaults.yaml"
"""Values every publication in the same folder inherits (deep-merged; the publication's own win)."""
