"""What a simulated Dom0 does with one argv: xl, xentop options, the xenstore clients,
cat/tail/od/test, and the constant ``sh -c`` scripts of collectors.commands.

No shell is involved: an argv is matched, never interpreted. Any other ``sh -c`` script is
refused, unknown programs are "not found" (exit 127).
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors import commands
from collectors.commands import BLKBACK_SYSFS, NETBACK_DEBUGFS
from collectors.parse.common import is_uint
from collectors.sim import render_proc, xenstore_tree
from collectors.sim.render_xentop import XentopOptions
from collectors.sim.state import SimHost, file_bytes
from collectors.sim.xl_args import Io, leading_digits
from collectors.sim.xl_main import run_xl

NO_SCRIPTS = "sh: simulated host runs no arbitrary scripts\n"
XENTOP_BIN = "/usr/lib/xen-4.17/bin/xentop"
XENTOP_USAGE = (
    f"Usage: {XENTOP_BIN} [OPTION]\n"
    "Displays ongoing information about xen vm resources \n\n"
    "-h, --help           display this help and exit\n"
    "-V, --version        output version information and exit\n"
    "-d, --delay=SECONDS  seconds between updates (default 3)\n"
    "-n, --networks       output vif network data\n"
    "-x, --vbds           output vbd block device data\n"
    "-r, --repeat-header  repeat table header before each domain\n"
    "-v, --vcpus          output vcpu data\n"
    "-b, --batch\t     output in batch mode, no user input accepted\n"
    "-i, --iterations     number of iterations before exiting\n"
    "-f, --full-name      output the full domain name (not truncated)\n"
    "\nReport bugs to <xen-devel@lists.xen.org>.\n"
)
XENTOP_VERSION = (
    "xentop 1.0\nWritten by Judy Fischbach, David Hendricks, Josh Triplett\n\n"
    "Copyright (C) 2005  International Business Machines  Corp\n"
    "This is free software; see the source for copying conditions.There is NO\n"
    "warranty; not even for MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.\n"
)


@dataclass
class Answer:
    exit_code: int
    stdout: str
    stderr: str
    duration: float = 0.0
    merged: str | None = None  # stdout and stderr interleaved as written (when known)

    def combined(self) -> str:
        """What ``2>&1`` would capture."""
        return self.merged if self.merged is not None else self.stderr + self.stdout


@dataclass
class XentopRequest:
    """A parsed xentop command line: either options to run, or an immediate answer."""

    options: XentopOptions | None
    batch: bool = False
    answer: Answer | None = None


def execute(host: SimHost, argv: list[str]) -> Answer:
    """Run one command against the host's current state (xentop and watch excepted)."""
    if not argv:
        return Answer(127, "", "sh: 1: : not found\n")
    prog = argv[0]
    if prog == "xl":
        io = Io()
        code = run_xl(host, argv, io)
        return Answer(code, "".join(io.out), "".join(io.err), io.duration, "".join(io.merged))
    if prog == "sh":
        return _sh(host, argv)
    if prog == "xentop":
        return _xentop_now(host, argv)
    if prog.startswith("xenstore-"):
        return _xenstore(host, prog[len("xenstore-"):], argv[1:])
    if prog == "xenstore" and len(argv) > 1:
        return _xenstore(host, argv[1], argv[2:])
    if prog == "cat":
        return _cat(host, argv[1:])
    if prog == "test":
        return _test(host, argv[1:])
    if prog == "tail":
        return _tail(host, argv[1:])
    if prog == "od":
        return _od(host, argv[1:])
    if prog in ("true", "false"):
        return Answer(0 if prog == "true" else 1, "", "")
    if prog == "hostname":
        return Answer(0, host.hostname + "\n", "")
    if prog == "uname":
        return _uname(host, argv[1:])
    if prog == "echo":
        return Answer(0, " ".join(argv[1:]) + "\n", "")
    return Answer(127, "", f"sh: 1: {prog}: not found\n")


# --- sh -c -----------------------------------------------------------------------------


def _sh(host: SimHost, argv: list[str]) -> Answer:
    t = tuple(argv)
    if t == commands.RING_FILES:
        return ring_files(host)
    if t == commands.MOUNT_DEBUGFS:
        if host.debugfs_mounted:
            return Answer(0, "", "")
        if not host.debugfs_mountable:
            return Answer(32, "", "mount: /sys/kernel/debug: permission denied.\n")
        host.debugfs_mounted = True
        return Answer(0, "", "")
    if t == commands.LIST_BRIDGES:
        if host.ovs:  # `ovs-vsctl list-br` prints bare names
            return Answer(0, "".join(f"{b}\n" for b in host.bridges), "")
        return Answer(0, "".join(f"/sys/class/net/{b}\n" for b in host.bridges), "")
    if t == commands.LIST_XEN_CONFIGS:
        paths = [p for p in sorted(host.files) if _matches_dir(p, ("/etc/xen", "/etc/xen/auto"))
                 and p.endswith(".cfg")]
        return Answer(0, _ordered_glob(paths, ("/etc/xen/", "/etc/xen/auto/")), "")
    if t == commands.LIST_SAVE_FILES:
        saves = [p for p in host.files if _matches_dir(p, (commands.SAVE_DIR,))]
        chk = [p for p in host.files if _matches_dir(p, ("/var/lib/xen", "/root"))
               and p.endswith(".chk")]
        return Answer(0, _ordered_glob(saves + chk, (commands.SAVE_DIR + "/", "/var/lib/xen/",
                                                     "/root/")), "")
    return Answer(127, "", NO_SCRIPTS)


def _matches_dir(path: str, dirs: tuple[str, ...]) -> bool:
    parent, _, name = path.rpartition("/")
    return parent in dirs and bool(name) and not name.startswith(".")


def _ordered_glob(paths: list[str], dir_order: tuple[str, ...]) -> str:
    """One line per path: glob by glob in the script's order, each glob sorted."""
    out: list[str] = []
    for d in dir_order:
        out += sorted((p for p in paths if p.rpartition("/")[0] + "/" == d), key=str.encode)
    return "".join(p + "\n" for p in out)


def ring_files(host: SimHost) -> Answer:
    netback = render_proc.netback_files(host)
    blkback = render_proc.blkback_files(host)
    out, err, code = render_proc.head_output(
        [
            (f"{NETBACK_DEBUGFS}/*/io_ring_q*", netback),
            (f"{BLKBACK_SYSFS}/vbd-*/statistics/*", blkback),
        ]
    )
    return Answer(code, out, err)


# --- cat, test, uname ------------------------------------------------------------------


def read_file(host: SimHost, path: str) -> str | None:
    if path == "/proc/loadavg":
        return render_proc.proc_loadavg(host)
    if path == "/proc/net/dev":
        return render_proc.proc_net_dev(host)
    if path == "/proc/uptime":
        up = host.now - host.boot_time
        return f"{up:.2f} {up * 1.6:.2f}\n"
    if path.startswith(NETBACK_DEBUGFS + "/"):
        return render_proc.netback_files(host).get(path)
    if path.startswith(BLKBACK_SYSFS + "/"):
        return render_proc.blkback_files(host).get(path)
    return host.file(path)


def _cat(host: SimHost, args: list[str]) -> Answer:
    out: list[str] = []
    err: list[str] = []
    files = [a for a in args if a != "--"]
    for path in files:
        if host.is_dir(path):
            err.append(f"cat: {path}: Is a directory\n")
            continue
        text = read_file(host, path)
        if text is None:
            err.append(f"cat: {path}: No such file or directory\n")
            continue
        out.append(text)
    return Answer(1 if err else 0, "".join(out), "".join(err))


def _tail(host: SimHost, args: list[str]) -> Answer:
    """GNU tail's ``-n N [--] FILE...``: with more than one FILE a ``==> FILE <==`` header
    before each file it could open (a blank line before all but the first); a file it
    cannot open is said on stderr and makes the exit status 1."""
    if len(args) < 3 or args[0] != "-n" or not is_uint(args[1]) or len(args[1]) > 9:
        return Answer(1, "", "tail: the simulated host knows only 'tail -n N [--] FILE...'\n")
    n, files = int(args[1]), args[2:]
    if files[0] == "--":
        files = files[1:]
    out: list[str] = []
    err: list[str] = []
    for path in files:
        is_dir = host.is_dir(path)
        text = None if is_dir else read_file(host, path)
        if text is None:
            why = "Is a directory" if is_dir else "No such file or directory"
            err.append(f"tail: cannot open '{path}' for reading: {why}\n")
            continue
        if len(files) > 1:
            out.append(f"{chr(10) if out else ''}==> {path} <==\n")
        lines = text.splitlines(keepends=True)
        out.append("".join(lines[-n:] if n else []))
    return Answer(1 if err else 0, "".join(out), "".join(err))


OD_BYTES_PER_LINE = 16


def _od(host: SimHost, args: list[str]) -> Answer:
    """GNU od's ``-An -v -tx1 -N COUNT [--] FILE``: the file's first COUNT bytes as hex
    pairs, each after a blank, 16 a line (what commands.file_head_hex asks)."""
    if args[-2:-1] == ["--"]:
        args = args[:-2] + args[-1:]
    if (len(args) != 6 or args[:3] != ["-An", "-v", "-tx1"] or args[3] != "-N"
            or not is_uint(args[4]) or len(args[4]) > 12):
        return Answer(1, "", "od: the simulated host knows only "
                             "'od -An -v -tx1 -N COUNT [--] FILE'\n")
    path, count = args[5], int(args[4])
    is_dir = host.is_dir(path)
    text = None if is_dir else read_file(host, path)
    if text is None:
        if is_dir and count == 0:  # opened, never read
            return Answer(0, "", "")
        why = "Is a directory" if is_dir else "No such file or directory"
        return Answer(1, "", f"od: {path}: {why}\n")
    return Answer(0, od_text(file_bytes(text)[:count]), "")


def od_text(data: bytes) -> str:
    """What GNU ``od -An -v -tx1`` prints for ``data``: 16 hex pairs a line, each after a
    blank."""
    return "".join("".join(f" {b:02x}" for b in data[i: i + OD_BYTES_PER_LINE]) + "\n"
                   for i in range(0, len(data), OD_BYTES_PER_LINE))


def path_exists(host: SimHost, path: str) -> bool:
    return host.is_dir(path) or read_file(host, path) is not None


def _test(host: SimHost, args: list[str]) -> Answer:
    if len(args) == 2 and args[0] in ("-e", "-f", "-d", "-r", "-s"):
        op, path = args
        if op == "-d":
            ok = host.is_dir(path)
        elif op == "-f":
            ok = not host.is_dir(path) and read_file(host, path) is not None
        else:
            ok = path_exists(host, path)
        return Answer(0 if ok else 1, "", "")
    if len(args) == 1:
        return Answer(0 if args[0] else 1, "", "")
    return Answer(2, "", "sh: 1: test: unexpected operator\n")


def _uname(host: SimHost, args: list[str]) -> Answer:
    if args == ["-a"]:
        text = f"Linux {host.hostname} {host.release} {host.kversion} x86_64 GNU/Linux"
    elif args == ["-r"]:
        text = host.release
    elif args == ["-n"]:
        text = host.hostname
    else:
        text = "Linux"
    return Answer(0, text + "\n", "")


# --- xenstore clients ------------------------------------------------------------------


def _xenstore(host: SimHost, mode: str, args: list[str]) -> Answer:
    prog = f"xenstore-{mode}"
    usages = {
        "read": "[-h] [-p] [-s] [-R] key [...]",
        "list": "[-h] [-p] [-s] key [...]",
        "ls": "[-h] [-f] [-p] [-s] [path]",
        "exists": "[-h] [-s] key [...]",
        "write": "[-h] [-s] key value [...]",
        "rm": "[-h] [-s] [-t] key [...]",
        "watch": "[-h] [-n NR] key",
    }
    if mode not in usages:
        return Answer(127, "", f"sh: 1: {prog}: not found\n")
    flags: set[str] = set()
    rest: list[str] = []
    for a in args:
        if a.startswith("-") and len(a) > 1 and not rest:
            flags.update(a[1:])
        else:
            rest.append(a)
    usage = Answer(1, "", f"{prog}: Usage: {prog} {usages[mode]}\n")
    if "h" in flags or (not rest and mode != "ls"):
        return usage
    tree = xenstore_tree.build_tree(host)
    out: list[str] = []
    if mode == "read":
        for key in rest:
            path = xenstore_tree.normalise(key)
            if path not in tree:
                return Answer(1, "".join(out), f"{prog}: couldn't read path {key}\n")
            prefix = f"{key}: " if "p" in flags else ""
            out.append(prefix + xenstore_tree.escape_value(tree[path]) + "\n")
        return Answer(0, "".join(out), "")
    if mode == "exists":
        ok = all(xenstore_tree.normalise(k) in tree for k in rest)
        return Answer(0 if ok else 1, "", "")
    if mode == "list":
        for key in rest:
            names = xenstore_tree.children(tree, key)
            if names is None:
                return Answer(1, "".join(out), f"{prog}: could not list path {key}\n")
            out += [(f"{key}/" if "p" in flags else "") + n + "\n" for n in names]
        return Answer(0, "".join(out), "")
    if mode == "ls":
        return _ls(tree, rest or ["/"], full="f" in flags, prog=prog)
    if mode in ("write", "rm"):
        return Answer(1, "", f"{prog}: could not {'write' if mode == 'write' else 'remove'} "
                             f"path {rest[0]}\n")
    return usage  # watch is a stream


def _ls(tree: xenstore_tree.Tree, paths: list[str], *, full: bool, prog: str) -> Answer:
    out: list[str] = []
    for arg in paths:
        base = xenstore_tree.normalise(arg)
        if base != "/" and base not in tree:
            return Answer(1, "".join(out), f"{prog}: xs_directory ({arg}): No such file or "
                                           "directory\n")
        depth0 = 0 if base == "/" else base.count("/")
        for p in xenstore_tree.subtree(tree, base):
            value = xenstore_tree.escape_value(tree[p])
            if full:
                out.append(f'{p} = "{value}"\n')
                continue
            depth = p.count("/") - depth0 - 1
            out.append(_ls_line(depth, p.rsplit("/", 1)[1], value, len(tree[p].encode())))
    return Answer(0, "".join(out), "")


def _ls_line(depth: int, name: str, value: str, raw_len: int, width: int = 80) -> str:
    tag = 8  # len(' = "..."')
    head = " " * depth + name[: max(0, width - tag - depth)]
    if width < len(head) + raw_len + tag:
        return f'{head} = "{value[: max(0, width - tag - len(head))]}\\..."\n'
    return f'{head} = "{value}"\n'


# --- xentop ----------------------------------------------------------------------------


def parse_xentop(argv: list[str]) -> XentopRequest:
    delay, iterations = 3, None
    flags: set[str] = set()
    args = argv[1:]
    i = 0
    longs = {"help": "h", "version": "V", "delay": "d", "networks": "n", "vbds": "x",
             "repeat-header": "r", "vcpus": "v", "batch": "b", "iterations": "i",
             "full-name": "f"}
    while i < len(args):
        a = args[i]
        i += 1
        items: list[tuple[str, str | None]] = []
        val: str | None
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            short = longs.get(name)
            if short is None:
                return _xentop_bad(f"unrecognized option '{a}'")
            items.append((short, val if eq else None))
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                if c in "di":
                    items.append((c, a[j + 1:] or None))
                    break
                items.append((c, None))
                j += 1
        else:
            continue  # xentop ignores operands
        for c, val in items:
            if c in "di" and val is None:
                if i >= len(args):
                    return _xentop_bad(f"option requires an argument -- '{c}'")
                val, i = args[i], i + 1
            if c == "d":
                delay = max(1, _atoi(val or ""))
            elif c == "i":
                iterations = _atoi(val or "")
            elif c == "h":
                return XentopRequest(None, answer=Answer(0, XENTOP_USAGE, ""))
            elif c == "V":
                return XentopRequest(None, answer=Answer(0, XENTOP_VERSION, ""))
            elif c in "nxrvbf":
                flags.add(c)
            else:
                return _xentop_bad(f"invalid option -- '{c}'")
    opts = XentopOptions(delay=delay, iterations=iterations if iterations else None,
                         vcpus="v" in flags, networks="n" in flags, vbds="x" in flags,
                         repeat_header="r" in flags, full_name="f" in flags)
    return XentopRequest(opts, batch="b" in flags)


def _xentop_now(host: SimHost, argv: list[str]) -> Answer:
    """xentop without the passing of time: every iteration shows the same moment."""
    from collectors.sim.render_xentop import XentopSampler

    req = parse_xentop(argv)
    if req.answer is not None:
        return req.answer
    if not req.batch or req.options is None:
        return Answer(1, "", "Error opening terminal: unknown.\n")
    sampler = XentopSampler()
    frames = [sampler.frame(host, req.options) for _ in range(req.options.iterations or 1)]
    return Answer(0, "".join(frames), "")


def _xentop_bad(message: str) -> XentopRequest:
    return XentopRequest(None, answer=Answer(0, XENTOP_USAGE, f"{XENTOP_BIN}: {message}\n"))


def _atoi(text: str) -> int:
    digits = leading_digits(text.lstrip())
    return int(digits[:12]) if digits else 0


# --- xenstore-watch ----------------------------------------------------------------------


def parse_watch(argv: list[str]) -> tuple[list[str], int | None] | Answer:
    """(watched paths, -n limit) or the usage error xenstore-watch gives."""
    limit: int | None = None
    keys: list[str] = []
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "-n" and i < len(args):
            limit = _atoi(args[i]) or None
            i += 1
        elif a.startswith("-") and len(a) > 1:
            break
        else:
            keys.append(a)
    if not keys:
        return Answer(1, "", "xenstore-watch: Usage: xenstore-watch [-h] [-n NR] key\n")
    return keys, limit
