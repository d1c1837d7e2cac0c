"""A stand-in for ``xl console``: a busybox-like prompt on a raw tty, detached by 0x1d.

Modes (argv[1]): ``shell`` (default), ``locked`` (another session holds the console),
``dom0`` (xl refuses Domain-0), ``dies`` (the domain goes away after the first command),
``stubborn`` (ignores Ctrl-], so the bridge must detach on its own).
"""

import os
import signal
import sys
import tty

mode = sys.argv[1] if len(sys.argv) > 1 else "shell"


def out(text: str) -> None:
    os.write(1, text.encode())


if mode == "locked":
    out("xenconsole: Could not lock /var/lock/xenconsole.2: Resource temporarily unavailable\r\n")
    sys.exit(11)
if mode == "dom0":
    out("Can't specify Domain-0\r\n")
    sys.exit(22)

tty.setraw(0)


def on_winch(*_: object) -> None:
    cols, rows = os.get_terminal_size(0)
    out(f"\r\n[size {cols}x{rows}]\r\n")


signal.signal(signal.SIGWINCH, on_winch)
out("/ # ")
line = b""
while True:
    try:
        data = os.read(0, 1024)
    except InterruptedError:
        continue
    if not data:
        sys.exit(0)
    if data == b"\x1d" and mode != "stubborn":  # xenconsole: Ctrl-] read alone detaches
        sys.exit(0)
    for byte in data:
        ch = bytes([byte])
        if ch in (b"\r", b"\n"):
            cmd = line.decode(errors="replace")
            line = b""
            out("\r\n")
            if cmd.startswith("echo "):
                out(cmd[5:] + "\r\n")
            elif cmd == "size":
                out("{}x{}\r\n".format(*os.get_terminal_size(0)))
            if mode == "dies":
                out("reboot: Power down\r\n")
                sys.exit(0)
            out("/ # ")
        else:
            line += ch
            out(ch.decode(errors="replace"))
