"""Evidence about archived copies: capture QA, captures from other archives through Memento, and
whether a page still says what a citation quotes (docs/captures.md).

    raw       fetch one capture in its original bytes and judge it as a live page is judged
    choose    order the candidates around the access date; the first good one wins, the others say why
    memento   TimeMaps (RFC 7089) of the archives the settings list
    quotes    the quotations of a citing sentence, looked for in each copy, and text-fragment links
    stage     the stage over a run's URLs: outage guard, politeness, dry run, what is written

Nothing here runs unless asked (`verify_captures`, `memento_archives`): a run that did not ask for
it makes no request of it.
"""
