"""A command in a pseudo-terminal of a given size, and what a person would see on that terminal.

`Screen` starts the command as a terminal's foreground job (its own session, the pty as its
controlling terminal, SIGINT at its default), so Ctrl-C typed at it (`ctrl_c`, the byte 0x03
through the terminal's line discipline) reaches it as it reaches a real one. `lines()` replays what
it drew: a carriage return goes back to the start of the line, ESC [2K erases it, colours are
dropped, so a status line rewritten in place reads as its last state.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

_SGR = re.compile(r"\x1b\[[0-9;]*m")


class Screen:
    def __init__(self, args: list[str], *, columns: int = 100, rows: int = 30, cwd=None, env: dict | None = None):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
        self.columns, self.fd, self.raw = columns, master, b""
        self.proc = subprocess.Popen([sys.executable, "-m", "archiver", *map(str, args)], cwd=cwd,
                                     env={**base, "TERM": "xterm", **(env or {})}, stdin=slave, stdout=slave,
                                     stderr=slave, start_new_session=True, preexec_fn=_foreground)
        os.close(slave)

    def read(self, timeout: float) -> bool:
        """Read what the command drew within `timeout` seconds; False once it has closed the terminal."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: every end of the terminal is closed
            return False
        self.raw += chunk
        return bool(chunk)

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match:
        """The first line on the screen matching `pattern`, as soon as one shows."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines():
                if found := re.search(pattern, line):
                    return found
            if not self.read(0.1) and self.proc.poll() is not None:
                break
        raise AssertionError(f"{pattern!r} never showed; the screen:\n" + "\n".join(self.lines()))

    def ctrl_c(self) -> None:
        os.write(self.fd, b"\x03")

    def finish(self, timeout: float) -> int:
        """The exit code, once the command has ended and everything it drew is read."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.read(0.05)
        while self.read(0.05) and self.proc.poll() is None:
            pass
        if self.proc.poll() is None:
            raise AssertionError(f"still running after {timeout} s")
        while self.read(0.05):
            pass
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.fd)

    def lines(self) -> list[str]:
        out = []
        for raw_line in self.raw.decode("utf-8", "replace").replace("\r\n", "\n").split("\n"):
            line = ""
            for part in raw_line.split("\r"):
                if part.startswith("\x1b[2K"):
                    line, part = "", part[4:]
                part = _SGR.sub("", part)
                line = part + line[len(part):]
            out.append(line)
        return out

    def __enter__(self) -> Screen:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _foreground() -> None:
    """In the child, after setsid: take the pty as controlling terminal, and SIGINT as a terminal's
    foreground job has it (a shell without job control may have started pytest with it ignored)."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
