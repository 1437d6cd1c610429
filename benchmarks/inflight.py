"""Where the fetch phase of a check run loses concurrency: a timeline of what the global slots do.

    .venv/bin/python benchmarks/inflight.py                 # check_bench's tuned run, 2,000 URLs
    .venv/bin/python benchmarks/inflight.py --runs 3 --timeline

Runs `archiver.api.check` in this process (as `archiver check urls.txt --concurrency 64 --per-host 64
--allow-private` does on a 2-core machine: no worker processes) on check_bench's miniweb, with the
checker's methods wrapped HERE (the library is not touched), and samples every 10 ms what each of
the `concurrency` slots is doing:
- `wire`: a page's request between its host's permit and the end of its body (probes apart);
- `gate`: waiting for its host's permit (check/hosts.py), holding its slot (after the gate change,
  only beyond the bound of check/slots.py; the others are counted apart as `gate_without_slot`);
- `retry-wait`: asleep before a retry (a Retry-After or a backoff), holding its slot (before the
  change; after it, such checks hold no slot and are counted apart as `waiting_without_slot`);
- `probe-wait`: waiting for its host's soft-404 probe;
- `other`: in a check but none of these (resolving, parsing, judging: CPU on the loop);
- `handover`: a finished check blocked handing its result over (check_urls' result queue full:
  the consumer, the store, has not taken the results before it);
- `idle`: none of these (no URL left, or a slot free for an instant).
It also records the loop's lag (how late a 10 ms timer fires: the loop busy with CPU work, or the
process waiting for a core), each page request's round trip (the servers' latency plus the loop's
delays), and the requests in flight on the wire, probes included. The report gives each state's
slot-seconds over the fetch phase (first request to last answer) and up to the moment the last
URL was taken (after it, only the tail: pages still in flight, the slow ones last), and with
--timeline the states in 250 ms buckets, with the per-host limits of the run's hosts summed
(`host_limits`: what the adaptive gate of check/hosts.py allows at once, at --settings defaults).
First it prints the `ideal`: the same URL list in the same order through a checker that costs no
CPU (latency, slow pages and Retry-After only), with 429 waits holding their slot or not.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import check_bench as cb
import installed

STATES = ("wire", "gate", "retry-wait", "probe-wait", "other", "handover", "idle")


class Probe:
    """Counters kept by the wrappers, sampled by a ticker task."""

    def __init__(self, concurrency: int):
        self.concurrency = concurrency
        self.n = Counter()
        self.samples: list[tuple[float, dict, float]] = []
        self.first_request: float | None = None
        self.last_answer: float | None = None
        self.last_start: float | None = None  # the last URL taken: from then on, only the tail
        self.probe_tasks: set = set()
        self.gates: list = []
        self.round_trips: list[float] = []  # seconds per page request (slow pages apart), gate included
        self.slot_free_waits = False
        self.queued = concurrency // 8  # after the change: a check waiting to retry holds no slot

    def install(self) -> None:
        from archiver.check import fetch, hosts

        p = self
        run = fetch._Run
        orig_check, orig_request, orig_run_probe = run.check, run._request, run._run_probe
        orig_enter, orig_await_probe = hosts.HostGate.enter, fetch.await_probe
        wait_name = "_wait" if hasattr(run, "_wait") else None

        async def check(self, url, *args, **kwargs):
            p.n["check"] += 1
            p.last_start = time.monotonic()
            try:
                return await orig_check(self, url, *args, **kwargs)
            finally:
                p.n["check"] -= 1
                p.n["handover"] += 1  # until check_urls yields it

        async def request(self, u, reading, addresses=None):
            probe = asyncio.current_task() in p.probe_tasks
            key = "probe-request" if probe else "request"
            p.n[key] += 1
            began = time.monotonic()
            try:
                hop = await orig_request(self, u, reading, addresses)
            finally:
                p.n[key] -= 1
                p.last_answer = time.monotonic()
            if not probe and "/slow/" not in u.url:  # one round trip each: latency + the loop's delays
                p.round_trips.append(p.last_answer - began)
            return hop

        async def enter(self, key, first=False):
            probe = asyncio.current_task() in p.probe_tasks
            p.n["probe-gate" if probe else "gate"] += 1
            try:
                return await orig_enter(self, key, first)
            finally:
                p.n["probe-gate" if probe else "gate"] -= 1
                if p.first_request is None:
                    p.first_request = time.monotonic()

        async def run_probe(self, probe_url):
            p.probe_tasks.add(asyncio.current_task())
            return await orig_run_probe(self, probe_url)

        async def await_probe(task, deadline):
            p.n["probe-wait"] += 1
            try:
                return await orig_await_probe(task, deadline)
            finally:
                p.n["probe-wait"] -= 1

        run.check, run._request, run._run_probe = check, request, run_probe
        hosts.HostGate.enter, fetch.await_probe = enter, await_probe
        orig_init = hosts.HostGate.__init__

        def init(self, *args, **kwargs):  # the run's gate, to read its hosts' limits
            orig_init(self, *args, **kwargs)
            p.gates.append(self)

        hosts.HostGate.__init__ = init
        if hasattr(run, "_enter"):  # after the gate change: a check waiting at a busy host holds no slot
            orig_run_enter = run._enter

            async def run_enter(self, key, reading):
                slots, ticket = self.slots, reading.ticket
                away = (slots is not None and ticket is not None and ticket.held and self.hosts.busy(key)
                        and slots._away < slots._limit)
                p.n["gate-away"] += away
                p.n["entering"] += 1
                try:
                    return await orig_run_enter(self, key, reading)
                finally:
                    p.n["gate-away"] -= away
                    p.n["entering"] -= 1

            run._enter = run_enter
        if wait_name:  # after the change: the retry wait is its own method
            orig_wait = run._wait
            p.slot_free_waits = True

            async def wait(self, *args, **kwargs):
                key = "probe-sleep" if asyncio.current_task() in p.probe_tasks else "sleep"
                p.n[key] += 1
                try:
                    return await orig_wait(self, *args, **kwargs)
                finally:
                    p.n[key] -= 1

            run._wait = wait
        else:  # before: asyncio.sleep called from fetch._fetch
            real = asyncio

            class Sleeps:
                def __getattr__(self, name):
                    return getattr(real, name)

                async def sleep(self, delay, result=None):
                    key = "probe-sleep" if real.current_task() in p.probe_tasks else "sleep"
                    p.n[key] += 1
                    try:
                        return await real.sleep(delay, result)
                    finally:
                        p.n[key] -= 1

            fetch.asyncio = Sleeps()  # type: ignore[assignment]

    async def tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            lag = loop.time() - before - 0.01
            n = dict(self.n)
            if self.gates:  # the per-host limits of the run's hosts, summed (the probe's gate apart)
                n["host-limits"] = sum(int(h.limit) for h in self.gates[-1]._hosts.values())
            self.samples.append((time.monotonic(), n, lag))

    def states(self, n: dict) -> dict:
        """What the slots do at one sample (a check holds a slot from its start to its result)."""
        entering = n.get("entering", n.get("gate", 0))  # at the host's gate (with the slot taken back after it)
        away = n.get("gate-away", 0)  # of them, waiting without a slot (after the gate change)
        wire = n.get("request", 0) - entering
        sleep, gate, probe = n.get("sleep", 0), entering - away, n.get("probe-wait", 0)
        checks = n.get("check", 0) - (sleep if self.slot_free_waits else 0) - away
        held_sleep = 0 if self.slot_free_waits else sleep
        held = {"wire": wire, "gate": gate, "retry-wait": held_sleep, "probe-wait": probe,
                "other": max(0, checks - wire - gate - held_sleep - probe),
                "handover": max(0, n.get("handover", 0) - self.queued)}  # past check_urls' queue
        held["idle"] = max(0, self.concurrency - sum(held.values()))
        return held

    def report(self, bucket: float, timeline: bool) -> dict:
        start, end = self.first_request or 0.0, self.last_answer or 0.0
        rows = [(t, self.states(n), lag, n) for t, n, lag in self.samples if start <= t <= end]
        # each sample stands for the time since the one before (10 ms plus the loop's lag)
        dts = [b[0] - a[0] for a, b in zip(rows, rows[1:])] + [0.01] if rows else []
        slot_s = {s: round(sum(r[1][s] * dt for r, dt in zip(rows, dts)), 1) for s in STATES}
        taken = self.last_start or end
        head = {s: round(sum(r[1][s] * dt for r, dt in zip(rows, dts) if r[0] <= taken), 1) for s in STATES}
        wire_all = [r[3].get("request", 0) - r[3].get("gate", 0) + r[3].get("probe-request", 0)
                    - r[3].get("probe-gate", 0) for r in rows]
        lags = sorted(lag for *_, lag, _ in rows)
        free_waits = round(sum(r[3].get("sleep", 0) * dt for r, dt in zip(rows, dts)), 1) if self.slot_free_waits else 0
        gate_away = round(sum(r[3].get("gate-away", 0) * dt for r, dt in zip(rows, dts)), 1)
        out = {"fetch_phase_s": round(end - start, 2), "last_url_taken_s": round((self.last_start or 0) - start, 2),
               "slot_seconds": slot_s, "until_last_taken": head, "waiting_without_slot": free_waits,
               "gate_without_slot": gate_away,
               "slot_seconds_total": round(self.concurrency * (end - start), 1),
               "mean_requests_on_wire": round(statistics.mean(wire_all), 1) if wire_all else 0,
               "round_trip_ms": {"mean": round(1000 * statistics.mean(self.round_trips), 1),
                                 "p95": round(1000 * sorted(self.round_trips)[int(0.95 * len(self.round_trips))], 1)},
               "loop_lag_ms": {"mean": round(1000 * statistics.mean(lags), 1) if lags else 0,
                               "p95": round(1000 * lags[int(0.95 * len(lags))], 1) if lags else 0,
                               "max": round(1000 * lags[-1], 1) if lags else 0,
                               "share_of_phase": round(sum(lags) / max(end - start, 1e-9), 3)}}
        if timeline:
            buckets = []
            for i in range(int((end - start) / bucket) + 1):
                part = [r for r in rows if start + i * bucket <= r[0] < start + (i + 1) * bucket]
                if part:
                    buckets.append({"t": round(i * bucket, 2),
                                    **{s: round(statistics.mean(r[1][s] for r in part), 1) for s in STATES},
                                    "lag_ms": round(1000 * statistics.mean(r[2] for r in part), 1),
                                    "host_limits": round(statistics.mean(r[3].get("host-limits", 0) for r in part), 1)})
            out["timeline"] = buckets
        return out


PROBE = Probe(64)
EXTRA_LATENCIES = {"redir": 2, "chain": 4, "ratelimit": 2}  # round trips per URL (a 429, then a 200)


def ideal(out: Path, a, free_waits: bool) -> tuple[float, float]:
    """(fetch phase s, last URL taken s) of a checker with no CPU cost on this URL list in run order
    (check/run.interleave_hosts), each 429 waiting 1 s holding its slot or not: what latency,
    the slow pages and the order allow, whatever the machine. No soft-404 probes."""
    from archiver.check.run import interleave_hosts

    kinds = dict(line.split("\t")[:2] for line in (out / "truth.tsv").read_text().splitlines()[1:])
    urls = interleave_hosts(list(dict.fromkeys(u.strip() for u in (out / "urls.txt").read_text().splitlines() if u.strip())))
    latency = a.latency_ms / 1000
    events: list[tuple[float, int, int]] = []  # (time, step, url index): 0 answered, 1 429, 2 awake
    free, taken, back, last_take, end = a.concurrency, 0, [], 0.0, 0.0

    def start(i: int, now: float, retry: bool) -> None:
        kind = kinds[urls[i]]
        if kind == "ratelimit":
            heapq.heappush(events, (now + latency, 0 if retry else 1, i))
        else:
            slow = a.slow_ms / 1000 if kind == "slow" else 0.0
            heapq.heappush(events, (now + EXTRA_LATENCIES.get(kind, 1) * latency + slow, 0, i))

    now = 0.0
    while True:
        while free > 0 and (back or taken < len(urls)):
            free -= 1
            if back:
                start(back.pop(0), now, True)
            else:
                start(taken, now, False)
                taken, last_take = taken + 1, now
        if not events:
            return round(end, 2), round(last_take, 2)
        now, step, i = heapq.heappop(events)
        if step == 0:
            free, end = free + 1, now
        elif step == 1:  # the 429: wait 1 s, without the slot or in it
            free += free_waits
            heapq.heappush(events, (now + 1.0, 2, i))
        elif free_waits:
            back.append(i)
        else:
            start(i, now, True)


def run_once(out: Path, a) -> dict:
    from archiver import api
    from archiver.config import Settings

    db = out / "inflight.db"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    web = cb.MiniWeb(out, "inflight", a.port, a.latency_ms, a.slow_ms)
    probe = PROBE
    from archiver.check import fetch

    tuned = {"concurrency": a.concurrency, "per_host": a.concurrency} if a.settings == "tuned" else {}
    settings = Settings(db=str(db), allow_private=True, processes=1, **tuned)
    probe.__init__(settings.concurrency)  # type: ignore[misc]  # a fresh record; the wrappers stay
    probe.slot_free_waits = hasattr(fetch._Run, "_wait")
    probe.queued = getattr(fetch, "RESULTS_QUEUED", 1 / 8) * settings.concurrency  # check_urls' result queue
    ticker: list[asyncio.Task] = []
    from archiver.check import run as check_run

    orig = check_run.check_urls

    async def check_urls(*args, **kwargs):  # the ticker lives on the run's own loop
        ticker.append(asyncio.ensure_future(probe.tick()))
        try:
            async for result in orig(*args, **kwargs):
                probe.n["handover"] -= 1
                yield result
        finally:
            ticker[0].cancel()

    check_run.check_urls = check_urls
    cpu, wall = time.process_time(), time.monotonic()
    try:
        report = api.check([str(out / "urls.txt")], settings)
    finally:
        check_run.check_urls = orig
        stats = web.stop()
    row = probe.report(a.bucket, a.timeline)
    row.update(wall_s=round(time.monotonic() - wall, 2), cpu_s=round(time.process_time() - cpu, 2),
               checked=report.run.checked, requests=stats["requests"], load=cb.load())
    return row


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--concurrency", type=int, default=64, help="the tuned global concurrency (default 64)")
    p.add_argument("--settings", choices=["tuned", "defaults"], default="tuned",
                   help="tuned: --concurrency N --per-host N (default); defaults: archiver's own")
    p.add_argument("--latency-ms", type=float, default=100.0)
    p.add_argument("--slow-ms", type=float, default=2000.0)
    p.add_argument("--port", type=int, default=19417)
    p.add_argument("--bucket", type=float, default=0.25, help="seconds per timeline bucket (default 0.25)")
    p.add_argument("--timeline", action="store_true", help="print the states in buckets too")
    p.add_argument("--out", type=Path, default=Path("/tmp/archiver-bench/inflight"))
    a = p.parse_args()
    installed.byte_compile()
    a.out.mkdir(parents=True, exist_ok=True)
    import subprocess

    subprocess.run([sys.executable, str(cb.BENCH / "make_urls.py"), "-n", str(a.n), "--port", str(a.port),
                    "--host-mode", "ips", "--out-dir", str(a.out)], check=True, stdout=subprocess.DEVNULL)
    for free_waits in (False, True):
        phase, taken = ideal(a.out, a, free_waits)
        print(json.dumps({"ideal": "429 waits free their slot" if free_waits else "429 waits hold their slot",
                          "fetch_phase_s": phase, "last_url_taken_s": taken}))
    PROBE.install()
    for _ in range(a.runs):
        print(json.dumps(run_once(a.out, a)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
