"""Stage 4, write (OFD): the PDF's laid-out pages as an OFD package (GB/T 33190-2016), text as text.

`writer.write_ofd` takes the pages the PDF engine laid out (read back by `pipeline.pdf.boxes`),
the document's metadata and the printed text of its parts, and returns the package's bytes;
`parts` writes the XML, `semantics` finds the official document's parts on the pages.
"""
