"""The live preview (`gongwen preview`): a resident build that shows instead of writing.

It keeps one warm `Publisher`, watches a publication's inputs (`watch`), re-makes in memory only
what changed and turns it into what a browser shows (`pages`: page images of the PDFs, the summary
as styled HTML), and serves that to one local page that follows every save (`server`). Nothing is
written into the output folder unless asked; then `pipeline.build`, the only writer, does it.
"""
