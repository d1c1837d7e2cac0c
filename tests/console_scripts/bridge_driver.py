"""Runs the console bridge N times in a row in one event loop (as the TUI would).

    bridge_driver.py local N MODE ALIVE   # fake xl console through LocalRunner
    bridge_driver.py sim N DOMAIN         # the simulator's console (SimRunner.open_pty)
    bridge_driver.py ssh N DOMAIN         # the Xen lab over SSH (XLTOP_LAB_* variables)
"""

import asyncio
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from collectors.console import attach_console, console_argv  # noqa: E402


async def main() -> None:
    kind, n = sys.argv[1], int(sys.argv[2])
    if kind == "local":
        from collectors.transport.local import LocalRunner

        runner = LocalRunner("local")
        fake = os.path.join(HERE, "fake_xenconsole.py")
        argv = (sys.executable, fake, sys.argv[3])
        alive_answer = sys.argv[4] == "alive"

        async def alive() -> bool:
            return alive_answer
    elif kind == "ssh":  # the Xen lab: XLTOP_LAB_TARGET=user@host:port, key, known_hosts
        from collectors.transport.ssh import SshRunner
        from collectors.transport.ssh_target import SshTarget

        user, _, rest = os.environ["XLTOP_LAB_TARGET"].partition("@")
        host, _, port = rest.partition(":")
        runner = SshRunner(SshTarget(host=host, port=int(port), user=user,
                                     key=os.environ["XLTOP_LAB_KEY"],
                                     known_hosts=os.environ["XLTOP_LAB_KNOWN_HOSTS"],
                                     ssh_config="/dev/null", connect_timeout=30))
        argv = console_argv(sys.argv[3])
        alive = None  # type: ignore[assignment]
    else:
        from collectors.sim.fleet import make_lab_like_host, sim_runners

        fleet = make_lab_like_host()
        runner = next(iter(sim_runners([fleet]).values()))
        argv = console_argv(sys.argv[3])
        alive = None  # type: ignore[assignment]
    for i in range(n):
        print(f"ATTACH {i}", flush=True)
        outcome = await attach_console(runner, argv, alive=alive)
        print(f"\r\nOUTCOME {i} {outcome.kind}: {outcome.message}", flush=True)
    print("DONE", flush=True)


asyncio.run(main())
