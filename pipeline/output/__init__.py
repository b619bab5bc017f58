"""Stage 4, write: the output folder and its records."""
