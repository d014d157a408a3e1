"""Runs a command on a pseudo-terminal, as an operator at a terminal would.

Used by tests/cli/config_interrupt_test.ts: Deno cannot give a child process a
terminal, and `prompt()` behaves differently on one (Ctrl-C returns null).

Usage: python3 _pty_run.py '<json>' where the JSON object has
  command: the program and its arguments;
  steps:   [{"expect": text, "send": text}, ...]: wait until the terminal output
           shows `expect` (after the previous step's match), then type `send`
           (e.g. "\u0003" for Ctrl-C, "\r" for Enter);
  timeout: seconds in all; then the child is killed by its PID (SIGKILL).
The child's standard input and output are the terminal (200 columns, so no
question wraps); its standard error is a pipe, kept apart. Prints one JSON
object: code (or null), signal (or null), timedOut, steps (how many were
done), terminal (what the terminal showed) and stderr.
"""

import fcntl
import json
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def main() -> None:
    spec = json.loads(sys.argv[1])
    deadline = time.monotonic() + float(spec.get("timeout", 30))
    err_read, err_write = os.pipe()
    pid, master = pty.fork()
    if pid == 0:
        os.dup2(err_write, 2)
        os.close(err_read)
        os.close(err_write)
        try:
            os.execvp(spec["command"][0], spec["command"])
        finally:
            os._exit(127)
    os.close(err_write)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))

    terminal, stderr = b"", b""
    steps = list(spec.get("steps", []))
    done, searched_from = 0, 0
    open_fds = {master, err_read}
    status = None
    timed_out = False
    while True:
        if done < len(steps):
            expect = steps[done]["expect"].encode()
            at = terminal.find(expect, searched_from)
            if at >= 0:
                searched_from = at + len(expect)
                os.write(master, steps[done]["send"].encode())
                done += 1
                continue
        if status is None:
            waited, st = os.waitpid(pid, os.WNOHANG)
            if waited == pid:
                status = st
        if status is not None and not open_fds:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            if status is None:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
            break
        ready, _, _ = select.select(list(open_fds), [], [], min(left, 0.1))
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the terminal's last user is gone
                data = b""
            if not data:
                open_fds.discard(fd)
            elif fd == master:
                terminal += data
            else:
                stderr += data
        if status is not None and not ready:
            break

    print(json.dumps({
        "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "timedOut": timed_out,
        "steps": done,
        "terminal": terminal.decode("utf-8", "replace"),
        "stderr": stderr.decode("utf-8", "replace"),
    }))


main()
