"""gongwen: one YAML file per publication → briefing PDF, Word summary and one-page notice."""

__version__ = "0.1.6"  # a fingerprint input: bumped when the engine or the typesetting changes the artifacts
