"""Facts the validator asks the host for (bridges, whether a path exists), cached per check."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

from collectors import commands
from collectors.control.errors import ValidationFailed
from collectors.parse.common import ParseError
from collectors.parse.od import parse_od_hex
from collectors.parse.xl_sched import SchedParams, parse_sched_params
from collectors.transport.base import Runner, TransportError

HEAD_BYTES = 65536  # of a checkpoint: its header and config (a few KiB) with room to spare
XL_CONF = "/etc/xen/xl.conf"
# xl.conf's string settings: key = "value" or 'value', a comment may follow
_XL_CONF_STRING = re.compile(
    r"""\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:"([^"]*)"|'([^']*)')\s*(?:#.*)?""")


class HostFacts:
    """Asks one host, once per fact; a host that cannot answer makes validation fail."""

    def __init__(self, runner: Runner, *, timeout_s: float = 30.0) -> None:
        self._runner = runner
        self._timeout = timeout_s
        self._bridges: tuple[str, ...] | None = None
        self._exists: dict[tuple[str, ...], bool] = {}  # test argv → its answer
        self._xl_conf: dict[str, str] | None = None

    @property
    def host(self) -> str:
        return self._runner.host

    async def bridges(self) -> tuple[str, ...]:
        """Linux and Open vSwitch bridges on the host, sorted."""
        if self._bridges is None:
            res = await self._run(commands.LIST_BRIDGES, "list the bridges")
            if res is None:
                raise ValidationFailed.one(f"cannot list the bridges on {self.host}", "bridge")
            names = {posixpath.basename(line.strip()) for line in res.splitlines()}
            self._bridges = tuple(sorted(n for n in names if n))
        return self._bridges

    async def xl_conf(self) -> dict[str, str]:
        """xl.conf's string settings (``default_bridge``, ``default_vifscript``...); empty
        when the host has none or it cannot be read (xl then uses its built-in defaults)."""
        if self._xl_conf is None:
            data = await self.head(XL_CONF)
            text = data.decode("utf-8", "replace") if data is not None else ""
            self._xl_conf = {m[1]: m[2] if m[2] is not None else m[3]
                             for line in text.splitlines()
                             if (m := _XL_CONF_STRING.fullmatch(line))}
        return self._xl_conf

    async def config_files(self) -> tuple[str, ...]:
        """Domain config files a user may create from (/etc/xen/*.cfg, /etc/xen/auto/*.cfg)."""
        return await self._paths(commands.LIST_XEN_CONFIGS, "list the config files")

    async def save_files(self) -> tuple[str, ...]:
        """Checkpoint files a user may restore (/var/lib/xen/save/*, *.chk)."""
        return await self._paths(commands.LIST_SAVE_FILES, "list the checkpoint files")

    async def _paths(self, argv: tuple[str, ...], what: str) -> tuple[str, ...]:
        out = await self._run(argv, what)
        if out is None:
            raise ValidationFailed.one(f"cannot {what} on {self.host}")
        return tuple(line for line in out.splitlines() if line.startswith("/"))

    async def sched_params(self, verb: str, domain: str) -> SchedParams | None:
        """The domain's weight and cap (``xl sched-credit[2] -d``); None when xl cannot
        say (another scheduler, a domain gone) or prints what is not its table."""
        out = await self._run(commands.sched_params(verb, domain), f"ask {verb}")
        try:
            rows = parse_sched_params(out) if out is not None else []
        except ParseError:
            return None
        return rows[0] if len(rows) == 1 else None

    async def exists(self, path: str) -> bool:
        """Whether ``path`` exists on the host (``test -e``)."""
        return await self._test(commands.path_exists(path))

    async def first_existing(self, paths: Iterable[str]) -> str | None:
        """The first of ``paths`` that exists on the host, if any (``test -e`` each, in
        order, until one does)."""
        for path in paths:
            if await self.exists(path):
                return path
        return None

    async def is_file(self, path: str) -> bool:
        """Whether ``path`` is a regular file on the host (``test -f``)."""
        return await self._test(commands.path_is_file(path))

    async def head(self, path: str, count: int = HEAD_BYTES) -> bytes | None:
        """The first ``count`` bytes of the file ``path`` on the host (fewer: the whole
        file); None when they cannot be read, for whatever reason."""
        try:
            r = await self._runner.run(commands.file_head_hex(path, count),
                                       timeout=self._timeout)
            return parse_od_hex(r.stdout)[:count] if r.exit_code == 0 else None
        except (TransportError, ParseError):
            return None

    async def _test(self, argv: tuple[str, ...]) -> bool:
        path = argv[-1]
        if argv not in self._exists:
            try:
                r = await self._runner.run(argv, timeout=self._timeout)
            except TransportError as e:
                raise ValidationFailed.one(
                    f"cannot check whether {path} exists on {self.host}: {e.message}", "path"
                ) from None
            if r.exit_code not in (0, 1):
                raise ValidationFailed.one(
                    f"cannot check whether {path} exists on {self.host}: "
                    f"{(r.stderr or r.stdout).strip() or f'exit {r.exit_code}'}",
                    "path",
                )
            self._exists[argv] = r.exit_code == 0
        return self._exists[argv]

    async def _run(self, argv: tuple[str, ...], what: str) -> str | None:
        try:
            r = await self._runner.run(argv, timeout=self._timeout)
        except TransportError as e:
            raise ValidationFailed.one(f"cannot {what} on {self.host}: {e.message}") from None
        return r.stdout if r.exit_code == 0 else None
