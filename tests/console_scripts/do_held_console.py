"""``xltop do --demo ...`` with one simulated domain's console already held by another
session (as a second ``xl console`` on a real host finds xenconsole's lock taken).

    do_held_console.py HOST DOMAIN -- DO-ARGS...
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

import tui.do_cli as do_cli  # noqa: E402
from collectors.sim.runner import SimRunner  # noqa: E402

held_host, held_domain = sys.argv[1], sys.argv[2]
build = do_cli.demo_host_configs


def demo_host_configs(opts):  # type: ignore[no-untyped-def]
    configs, runners = build(opts)
    runner = runners[held_host]
    assert isinstance(runner, SimRunner)
    [domid] = [k for k, d in runner.sim.domains.items() if d.name == held_domain]
    runner.sim.console_locks.add(domid)
    return configs, runners


do_cli.demo_host_configs = demo_host_configs
sys.exit(do_cli.main(sys.argv[4:]))
