"""Report: what the editor reads, and every rendering of results for people and machines.

    editor    the editor's report as a value (summary first, rows read on demand)
    problems  the problem list behind the exit code
    acks      acknowledgements from archiver.toml
    results   lint/check/archive results as text, JSON, CSV, Markdown, HTML
    render/   the editor's report in each format
    csvout    spreadsheet-safe CSV
"""
