"""Work queued in PostgreSQL for workers on any number of machines (`archiver worker`,
`archiver check --queue`), with procrastinate: the `scale` extra, imported only by a queued command.

- app.py      the procrastinate App on the store's database, its tasks and their retry rules
- checks.py   a check run as jobs: enqueue a run's URLs in batches per host, the job that checks
              them, and the waiter that shows progress and ends the run (the outage verdict)
- worker.py   `archiver worker`: one process running jobs, and the periodic ones (stalled jobs,
              scheduled re-checks)

Politeness across workers: each job holds a procrastinate lock of one host slot, so at most that
many of a host's jobs run at once anywhere; a job checks its URLs one after another, asking the
shared host table (store/postgres/queue.py) before each request; a paused host defers the job to
the end of the pause (a procrastinate retry at that time), no worker sleeps on it.
"""
