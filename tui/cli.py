"""The ``xltop`` command line: the dashboard, headless snapshots, parsers and actions.

    xltop [HOST...]                          the dashboard (demo fleet when nothing to watch)
    xltop --demo [--hosts N] [--domains M] [--seed S]
    xltop --once --json [HOST...]            one fleet snapshot as JSON
    xltop --batch [--interval S] [--iterations N] [HOST...]   JSON lines
    xltop --serve-metrics [ADDR:]PORT [HOST...]   Prometheus metrics over HTTP
    xltop parse KIND [FILE]                  parse a captured output, print JSON
    xltop do HOST DOMAIN VERB [ARGS...]      run one action (see ``xltop do --help``)

HOST is ``local``, ``[user@]host[:port]``, a name from ``~/.ssh/config`` or from the config
file. Headless modes never import Textual.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Coroutine, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from collectors.config import ConfigError, HostConfig, Settings, host_from_spec, load_settings
from collectors.fleet import (
    DemoOptions,
    build_fleet,
    check_targets,
    close_fleet,
    collect_once,
    demo_host_configs,
    local_xen_available,
)
from collectors.model import FleetSnapshot
from collectors.serialize import fleet_to_json
from collectors.stdout import OutputFailed, write_json, write_stdout
from collectors.transport.base import Runner
from tui.text import visible


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="xltop",
        description="xl top on steroids: watch and control Xen hosts.",
        epilog="Also: 'xltop parse KIND [FILE]' and 'xltop do HOST DOMAIN VERB [ARGS...]'.",
    )
    p.add_argument("hosts", nargs="*", metavar="HOST",
                   help="local, [user@]host[:port], an ~/.ssh/config alias or a configured name")
    p.add_argument("--demo", action="store_true", help="watch a simulated fleet")
    p.add_argument("--hosts", dest="demo_hosts", type=_positive_int, default=3, metavar="N",
                   help="demo: number of simulated hosts (default 3)")
    p.add_argument("--domains", dest="demo_domains", type=_positive_int, default=8, metavar="M",
                   help="demo: domains per simulated host (default 8)")
    p.add_argument("--pcpus", type=_positive_int, default=0, metavar="P",
                   help="demo: physical CPUs of every simulated host (e.g. 256)")
    p.add_argument("--seed", type=int, default=0, help="demo: random seed (default 0)")
    p.add_argument("--once", action="store_true", help="print one fleet snapshot and exit")
    p.add_argument("--json", action="store_true",
                   help="print one fleet snapshot as JSON and exit (as --once does)")
    p.add_argument("--batch", action="store_true", help="print a JSON line per interval")
    p.add_argument("--iterations", type=_positive_int, default=None, metavar="N",
                   help="with --batch (implies it): stop after N snapshots")
    p.add_argument("--serve-metrics", type=_listen, default=None, metavar="[ADDR:]PORT",
                   help="serve Prometheus metrics of the hosts on http://ADDR:PORT/metrics "
                   "(ADDR 127.0.0.1 unless given)")
    p.add_argument("--interval", type=_interval, default=None, metavar="S",
                   help="seconds between polls (default 2)")
    p.add_argument("--config", type=Path, default=None, metavar="PATH",
                   help="config file (default $XLTOP_CONFIG, else "
                   "$XDG_CONFIG_HOME/xltop/config.toml: ~/.config/xltop/config.toml)")
    p.add_argument("--theme", default=None,
                   help="colour theme: dark (default), light, high-contrast, colorblind, mono")
    p.add_argument("--read-only", action="store_true", help="refuse every action")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if sys.stderr is None:  # (2>&-) messages go nowhere, rather than crash the run
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (stderr until the exit)
    if args_list[:1] == ["parse"]:
        from collectors.parse.cli import main as parse_main

        return parse_main(args_list[1:])
    if sys.stdin is None:  # (<&-) no input, as from /dev/null: not a terminal
        sys.stdin = open(os.devnull)  # noqa: SIM115 (stdin until the exit)
    if args_list[:1] == ["do"]:
        from tui.do_cli import main as do_main

        return do_main(args_list[1:])
    parser = build_parser()
    args, unknown = parser.parse_known_args(args_list)
    if args.hosts and args.hosts[0] in ("do", "parse"):
        # options before the subcommand (``xltop --config c do h d pause``): not host names
        i = args_list.index(args.hosts[0])
        return main([args_list[i], *args_list[:i], *args_list[i + 1:]])
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    modes = [m for m, on in (("--once", args.once), ("--batch", args.batch),
                             ("--serve-metrics", args.serve_metrics is not None)) if on]
    if len(modes) > 1:
        parser.error(f"{' and '.join(modes)}: choose one")
    if args.once and args.iterations is not None:
        parser.error("--iterations is for --batch (--once prints one snapshot)")
    if args.demo and args.hosts:
        parser.error(f"--demo watches the simulated fleet: it takes no HOST ({args.hosts[0]})")
    try:
        settings = load_settings(args.config)
    except ConfigError as e:
        print(f"xltop: {e}", file=sys.stderr)
        return 2
    settings = replace(
        settings,
        interval_s=args.interval or settings.interval_s,
        theme=args.theme or settings.theme,
        theme_chosen=args.theme is not None or settings.theme_chosen,
        read_only=args.read_only or settings.read_only,
    )
    try:
        hosts, runners = resolve_hosts(args, settings)
        check_targets([h for h in hosts if h.name not in runners], settings)
    except ConfigError as e:
        print(f"xltop: {e}", file=sys.stderr)
        return 2
    if args.serve_metrics is not None:
        from tui.metrics_server import serve

        return _run(serve(hosts, settings, runners, args.serve_metrics))
    if args.once or (args.json and not args.batch):  # --json alone: one JSON snapshot
        return _run(_once(hosts, settings, runners))
    if args.batch or args.iterations is not None:  # --iterations means JSON lines too
        return _run(_batch(hosts, settings, runners, args.iterations))
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("xltop: the dashboard needs a terminal; for scripts use --once (one JSON "
              "snapshot) or --batch (a JSON line per interval)", file=sys.stderr)
        return 2
    from tui.app import run_app

    return run_app(settings, hosts, runners)


def resolve_hosts(
    args: argparse.Namespace, settings: Settings
) -> tuple[list[HostConfig], dict[str, Runner]]:
    """HOST arguments, else the config's hosts, else local Xen, else the demo fleet."""
    if args.demo:
        return _demo(args)
    if args.hosts:
        # a host named twice (``xltop a a``, a configured name and its target) is watched
        # once: one connection, one entry in the JSON, as the config file's names are
        given: dict[str, HostConfig] = {}
        for spec in args.hosts:
            hc = host_from_spec(spec, settings)
            given.setdefault(hc.name, hc)
        return list(given.values()), {}
    if settings.hosts:
        return list(settings.hosts), {}
    if local_xen_available():
        return [HostConfig(name="local", target="local")], {}
    print("xltop: no host given, none configured and no local Xen: showing the demo fleet "
          "(xltop --help for how to watch real hosts)", file=sys.stderr)
    return _demo(args)


def _demo(args: argparse.Namespace) -> tuple[list[HostConfig], dict[str, Runner]]:
    configs, runners = demo_host_configs(
        DemoOptions(hosts=args.demo_hosts, domains=args.demo_domains, seed=args.seed,
                    pcpus=args.pcpus)
    )
    return configs, runners


async def _once(hosts: list[HostConfig], settings: Settings, runners: dict[str, Runner]) -> int:
    members = build_fleet(hosts, settings, runners)
    try:
        # a safety net over the poll's own timeouts: a connect, then a few round trips
        fleet = await collect_once(
            members, timeout_s=settings.connect_timeout_s + 4 * settings.command_timeout_s)
    finally:
        await close_fleet(members)
    with contextlib.suppress(BrokenPipeError):  # (a reader that has seen enough)
        _print_json(fleet, _simulated(hosts))
    bad = [h for h in fleet.hosts if h.status.value != "ok"]
    for h in bad:  # (the JSON says it too; the exit code alone would not say which)
        print(visible(f"xltop: {h.host}: {h.status.value}: {h.message or 'no data'}"),
              file=sys.stderr)
    return 1 if bad else 0


async def _batch(
    hosts: list[HostConfig], settings: Settings, runners: dict[str, Runner],
    iterations: int | None,
) -> int:
    """A fleet snapshot per interval, every host in each (one still waiting says so). The
    first waits for every host's first full read (XenStore's memory targets, devices,
    rings) and its xentop stream's first frame (the per-tick counters: a host whose stream
    starts late in its phase had none), at most a connect and a command timeout, so it is
    not a half-empty record."""
    members = build_fleet(hosts, settings, runners)
    simulated = _simulated(hosts)
    for m in members:
        m.poller.start()
    printed = 0
    loop = asyncio.get_running_loop()
    next_t = loop.time() + settings.interval_s
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(settings.connect_timeout_s + settings.command_timeout_s):
                await asyncio.gather(
                    *(m.poller.first_round.wait() for m in members),
                    *(m.poller.first_frame.wait() for m in members
                      if m.poller.settings.use_stream))
        while iterations is None or printed < iterations:
            await asyncio.sleep(max(0.0, next_t - loop.time()))
            next_t += settings.interval_s
            if next_t <= loop.time():  # late (a slow first read): the next one interval on
                next_t = loop.time() + settings.interval_s
            snaps = tuple(m.poller.snapshot() for m in members)
            _print_json(FleetSnapshot(time=max(s.time for s in snaps), hosts=snaps),
                        simulated, indent=None)
            printed += 1
    except (KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        await close_fleet(members)
    return 0


def _run(main: Coroutine[Any, Any, int]) -> int:
    """A headless mode to its end; Ctrl-C ends it quietly (asyncio.run cancels the mode,
    which closes its connections, then raises KeyboardInterrupt)."""
    try:
        return asyncio.run(main)
    except KeyboardInterrupt:
        return 130  # (128 + SIGINT, as a shell reports it)
    except OutputFailed as e:
        print(f"xltop: cannot write the output: {e}", file=sys.stderr)
        return 1


def _simulated(hosts: Sequence[HostConfig]) -> frozenset[str]:
    return frozenset(h.name for h in hosts if h.is_demo)


def _print_json(fleet: FleetSnapshot, simulated: frozenset[str],
                indent: int | None = 2) -> None:
    data = fleet_to_json(fleet)
    for host in data["hosts"]:  # the demo fleet's numbers are made up: scripts must see it
        if host["host"] in simulated:
            host["simulated"] = True
    # (BrokenPipeError, a reader such as head that has seen enough, is no error: the
    # callers end quietly; OutputFailed is said in one line by _run)
    write_json(write_stdout, data, indent=indent)


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _listen(text: str) -> tuple[str, int]:
    from tui.metrics_server import parse_listen

    try:
        return parse_listen(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _interval(text: str) -> float:
    try:
        s = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0.2 <= s <= 3600:
        raise argparse.ArgumentTypeError("must be between 0.2 and 3600 seconds")
    return s
