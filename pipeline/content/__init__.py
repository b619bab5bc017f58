"""Stage 1, content: YAML with positions → a validated, immutable publication."""
