"""Stage 3, render: a publication through Jinja2 templates into HTML for the PDFs and the Word summary."""
