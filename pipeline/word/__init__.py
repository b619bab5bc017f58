"""Stages 3–4 for the Word summary: its HTML subset read into blocks, written as a .docx on a reference document's
styles."""
