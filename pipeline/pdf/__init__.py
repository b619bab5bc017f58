"""Stage 4, write (PDF): the adapter to WeasyPrint."""
