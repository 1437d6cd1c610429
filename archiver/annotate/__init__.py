"""Annotate: write archive links back into a document, one module per format.

    run       the stage: read, apply confident repairs, add archived copies, write atomically
    links     HTML (Robust Links), Markdown and plain text
    markdown  Markdown link positions
    docx      DOCX hyperlinks
    entries   bibliographies: the fields chosen and why; bibtex, csljson, ris: one module each
"""
