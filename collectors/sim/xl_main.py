"""``xl`` on a simulated host: global options, subcommand lookup, dispatch."""

from __future__ import annotations

from collections.abc import Callable

from collectors.sim import (
    console,
    xl_actions,
    xl_devices,
    xl_migrate,
    xl_read,
    xl_saverestore,
    xl_usage,
)
from collectors.sim.state import SimHost
from collectors.sim.xl_args import Io, XlExit
from collectors.sim.xl_help_text import HELP_TEXT

Handler = Callable[[SimHost, Io, list[str]], int]

HANDLERS: dict[str, Handler] = {
    "console": console.cmd_console,
    "list": xl_read.cmd_list,
    "vcpu-list": xl_read.cmd_vcpu_list,
    "info": xl_read.cmd_info,
    "uptime": xl_read.cmd_uptime,
    "network-list": xl_read.cmd_network_list,
    "block-list": xl_read.cmd_block_list,
    "cpupool-list": xl_read.cmd_cpupool_list,
    "dmesg": xl_read.cmd_dmesg,
    "sched-credit": xl_read.cmd_sched_credit,
    "sched-credit2": xl_read.cmd_sched_credit2,
    "domid": xl_read.cmd_domid,
    "domname": xl_read.cmd_domname,
    "pause": xl_actions.cmd_pause,
    "unpause": xl_actions.cmd_unpause,
    "destroy": xl_actions.cmd_destroy,
    "shutdown": xl_actions.cmd_shutdown,
    "reboot": xl_actions.cmd_reboot,
    "mem-set": xl_actions.cmd_mem_set,
    "mem-max": xl_actions.cmd_mem_max,
    "vcpu-set": xl_actions.cmd_vcpu_set,
    "vcpu-pin": xl_actions.cmd_vcpu_pin,
    "network-attach": xl_devices.cmd_network_attach,
    "network-detach": xl_devices.cmd_network_detach,
    "block-attach": xl_devices.cmd_block_attach,
    "block-detach": xl_devices.cmd_block_detach,
    "cd-insert": xl_devices.cmd_cd_insert,
    "cd-eject": xl_devices.cmd_cd_eject,
    "save": xl_saverestore.cmd_save,
    "migrate": xl_migrate.cmd_migrate,
    "restore": xl_saverestore.cmd_restore,
    "create": xl_saverestore.cmd_create,
}

# subcommands that change nothing with -N (their dry-run output is not simulated)
_DRYRUN_QUIET = {"network-attach", "block-attach", "create", "cd-insert", "cd-eject"}


def run_xl(host: SimHost, argv: list[str], io: Io) -> int:
    """Run ``xl ARGS...``; output goes to ``io``; returns the exit status."""
    try:
        return _run(host, argv[1:], io)
    except XlExit as exc:
        return exc.code


def _run(host: SimHost, args: list[str], io: Io) -> int:
    dryrun = False
    while args and args[0].startswith("-") and args[0] != "-":
        flag = args.pop(0)
        if flag == "--":
            break
        for ch in flag[1:]:
            if ch == "N":
                dryrun = True
            elif ch not in "vftT":
                io.eprint("unknown global option\n")
                return 1
    if not args:
        io.print(HELP_TEXT)
        return 1
    word, rest = args[0], args[1:]
    if word == "help":
        if not rest:
            io.print(HELP_TEXT)
            return 0
        cmd = xl_usage.lookup(rest[0])
        if cmd is None or not xl_usage.known(cmd):
            io.eprint("command not implemented\n")
            return 1
        io.print(xl_usage.usage(cmd))
        return 0
    cmd = xl_usage.lookup(word)
    if cmd is None or cmd not in HANDLERS:
        io.eprint("command not implemented\n")
        return 1
    if dryrun and cmd not in xl_usage.DRYRUN_COMMANDS:
        io.eprint("command does not implement -N (dryrun) option\n")
        return 1
    if dryrun and cmd == "vcpu-pin":
        return xl_actions.cmd_vcpu_pin(host, io, rest, dryrun=True)
    if dryrun and cmd in _DRYRUN_QUIET:
        if cmd == "network-attach":
            return xl_devices.cmd_network_attach(host, io, rest, dryrun=True)
        if cmd == "block-attach":
            return xl_devices.cmd_block_attach(host, io, rest, dryrun=True)
        return 0
    return HANDLERS[cmd](host, io, rest)
