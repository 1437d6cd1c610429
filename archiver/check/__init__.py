"""Check: fetch each URL politely and concurrently, judge what came back, and keep the evidence.

    run       the stage over a store: which URLs, in what order, recorded how
    fetch     one URL: the one place transport errors become statuses
    classify  the verdict from a response (soft-404, parked, login wall, ...)
    page      a page's charset, title and main text
    state     confirmation over spaced checks (alive, failing, dead)
"""
