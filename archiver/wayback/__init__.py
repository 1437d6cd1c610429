"""Wayback: Save Page Now 2 submissions, job status and CDX look-ups, within the service's limits.

    protocol  the replies as values      client  httpx over an injected base URL
    pacing    the per-minute limits      policy  what to submit or look up, never twice
    jobs      polling submissions        matching  the capture nearest an access date
    redact    secrets never stored or printed
"""
