"""Runs commands on a Dom0 over SSH: one lazy asyncssh connection per host, a channel each.

Every argument is quoted with :func:`shlex.join` at this boundary (domain names come from
hosts and are untrusted). A batch is one channel running one ``sh -c`` script. Failures to
connect back off exponentially; while backing off, calls fail fast instead of hammering.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import signal
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import asyncssh

from collectors.model import HostId
from collectors.transport.argv import SUDO_PREFIX, checked_argv
from collectors.transport.backoff import Backoff
from collectors.transport.base import (
    STOP_BATCH,
    STOP_BATCH_ENDED,
    BatchOutputTooLarge,
    BatchScript,
    BatchTimeout,
    CommandResult,
    CommandTimeout,
    ConnectError,
    ConnectionLost,
    HostKeyError,
    LineStream,
    OutputTooLarge,
    TransportError,
    batch_pid,
    make_batch_script,
    split_batch_output,
)
from collectors.transport.known_hosts import HostKeyCheck
from collectors.transport.lines import (
    MAX_OUTPUT_BYTES,
    ChunkedLineReader,
    Marked,
    TailBuffer,
    decode,
    read_to_end,
    read_while_marked,
)
from collectors.transport.pty import PtySession, check_pty_request
from collectors.transport.ssh_target import HostConfig, SshTarget, parse_jump, resolve_host

MAX_JUMPS = 4
_STOP_BATCH_S = 5.0  # the least time stopping a cut-short batch gets
_CLOSE_WAIT_S = 2.0
# a connection lost sooner than this after it was made counts as one more failure in a row:
# a host that drops every connection at once is retried at 1, 2, 4 ... 60 s, not every second
STABLE_LINK_S = 10.0


class _Client(asyncssh.SSHClient):
    """Per-connection callbacks: host key decisions and noticing the connection drop."""

    def __init__(self, check: HostKeyCheck) -> None:
        self.check = check
        self.lost: str | None = None
        self.runner: SshRunner | None = None  # set once the connection is in use

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        return self.check.validate(host, addr, port, key)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = str(exc) if exc else "connection closed"
        if self.runner is not None:
            self.runner._on_connection_lost(self)


@dataclass(frozen=True, slots=True)
class _Link:
    conn: asyncssh.SSHClientConnection
    client: _Client


class SshRunner:
    """Implements Runner (and PtyRunner) for one host over SSH."""

    def __init__(
        self, target: SshTarget, *, name: HostId | None = None, backoff: Backoff | None = None
    ) -> None:
        """``name``: the host's id in xltop (default: the target as the user wrote it)."""
        self.target = target
        self._name = name or target.name
        self._backoff = backoff or Backoff()
        self._config_paths = target.config_paths()
        self._link_now: _Link | None = None
        self._linked_at = 0.0  # when the current link was made (the backoff's clock)
        self._connecting: asyncio.Task[_Link] | None = None
        self._last_error = "not connected"
        self._where = target.name
        self._open: set[SshLineStream | SshPtySession] = set()
        # how long the host last took to accept a command (channel open and exec: the
        # link's latency, without the command's own run time); None before the first
        self.last_rtt_s: float | None = None

    @property
    def host(self) -> HostId:
        return self._name

    @property
    def connected(self) -> bool:
        return self._link_now is not None and self._link_now.client.lost is None

    def _command(
        self, argv: Sequence[str], *, prefix: tuple[str, ...] = ()
    ) -> tuple[tuple[str, ...], str]:
        args = checked_argv(argv)
        full = (*prefix, *args)
        if self.target.sudo:
            full = (*SUDO_PREFIX, *full)
        return args, shlex.join(full)

    # --- connection -----------------------------------------------------------------

    async def _link(self) -> _Link:
        link = self._link_now
        if link is not None and link.client.lost is None:
            return link
        if self._connecting is None:
            if self._backoff.remaining() > 0:
                raise ConnectError(
                    self.host,
                    f"{self._last_error}; retrying, not before {self._backoff.retry_at_text()}",
                )
            self._connecting = asyncio.create_task(self._connect())
            self._connecting.add_done_callback(_retrieve)
        attempt = self._connecting
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if attempt.cancelled() and current is not None and not current.cancelling():
                # close() stopped the attempt; this caller itself was not cancelled
                raise ConnectError(self.host, "connection attempt cancelled") from None
            raise

    async def _connect(self) -> _Link:
        limit = self.target.connect_timeout
        try:
            try:
                async with asyncio.timeout(limit):
                    link = await self._open_route(
                        self.target.host, self.target.user, self.target.port, self.target.key, 0
                    )
            except TimeoutError:
                raise ConnectError(
                    self.host, f"no SSH answer from {self._where} within {limit:g} s"
                ) from None
        except ConnectError as exc:
            self._backoff.failed()
            self._last_error = exc.message
            raise
        finally:
            self._connecting = None
        link.client.runner = self
        self._link_now = link
        self._backoff.may_retry_now()
        self._linked_at = self._backoff.clock()
        return link

    def _on_connection_lost(self, client: _Client) -> None:
        link = self._link_now
        if link is not None and link.client is client:
            self._link_now = None
            self._last_error = f"connection to {self._where} lost: {client.lost}"
            if self._backoff.clock() - self._linked_at >= STABLE_LINK_S:
                self._backoff.succeeded()  # it lasted: this loss is the first failure
            self._backoff.failed()

    async def _resolve(self, name: str, user: str | None, port: int | None,
                       *, jump: bool = False) -> HostConfig:
        """``name``'s settings; the target's own host key policy and known_hosts are for
        the target only: a ProxyJump host's come from its SSH config (as ssh -J's do)."""
        try:
            return await asyncio.to_thread(
                resolve_host,
                name,
                user=user,
                port=port,
                config_paths=self._config_paths,
                policy=None if jump else self.target.host_key_policy,
                known_hosts=None if jump else self.target.known_hosts,
            )
        except (OSError, ValueError) as exc:
            raise ConnectError(self.host, f"cannot use SSH config for {name}: {exc}") from exc

    async def _open_route(
        self, name: str, user: str | None, port: int | None, key: str | None, depth: int
    ) -> _Link:
        """Connect to ``name``, through its ProxyJump hosts first if it has any."""
        hop = await self._resolve(name, user, port, jump=depth > 0)
        if depth == 0:
            self._where = hop.display
        tunnel: asyncssh.SSHClientConnection | None = None
        try:
            if hop.proxy_jump:
                if depth >= MAX_JUMPS:
                    raise ConnectError(self.host, f"ProxyJump chain too long at {hop.display}")
                for spec in hop.proxy_jump.split(","):
                    try:
                        j_user, j_host, j_port = parse_jump(spec.strip())
                    except ValueError as exc:
                        raise ConnectError(self.host, f"bad ProxyJump for {name}: {exc}") from None
                    if tunnel is None:  # the first jump host may have its own ProxyJump
                        link = await self._open_route(j_host, j_user, j_port, None, depth + 1)
                    else:
                        j_hop = await self._resolve(j_host, j_user, j_port, jump=True)
                        link = await self._open_hop(j_hop, None, tunnel)
                    tunnel = link.conn
            return await self._open_hop(hop, key, tunnel)
        except BaseException:
            if tunnel is not None:
                tunnel.close()  # closes every hop before it too
            raise

    async def _open_hop(
        self, hop: HostConfig, key: str | None, tunnel: asyncssh.SSHClientConnection | None
    ) -> _Link:
        check = HostKeyCheck(hop.host_key_policy, hop.known_hosts, hop.other_known_hosts)
        try:
            known = await check.load()
        except OSError as exc:
            raise ConnectError(self.host, f"cannot read {hop.known_hosts}: {exc}") from exc
        client = _Client(check)
        options: dict[str, Any] = {}
        if key is not None:
            options["client_keys"] = await self._load_key(key)
        if hop.user is not None:
            options["username"] = hop.user
        where = hop.display
        via = f" via {tunnel.get_extra_info('host')}" if tunnel is not None else ""
        try:
            conn = await asyncssh.connect(
                hop.name,
                hop.port,
                tunnel=tunnel,
                config=self._config_paths,
                known_hosts=known,
                client_factory=lambda: client,
                connect_timeout=self.target.connect_timeout,
                keepalive_interval=self.target.keepalive_interval,
                keepalive_count_max=3,
                **options,
            )
        except asyncssh.HostKeyNotVerifiable:
            jumped = None if tunnel is None else self._ssh_command()
            raise HostKeyError(self.host, check.rejection(hop.hostname, hop.port, jumped)) from None
        except asyncssh.KeyExchangeFailed as exc:
            changed = check.key_type_mismatch(hop.hostname, hop.hostname, hop.port)
            if changed is not None:
                raise HostKeyError(self.host, changed) from None
            raise ConnectError(self.host, f"key exchange with {where} failed: {exc}") from None
        except asyncssh.PermissionDenied:
            who = f"{hop.user}@{where}" if hop.user else where
            raise ConnectError(
                self.host,
                f"{who}: authentication failed (no key was accepted; check IdentityFile, "
                "the key's authorized_keys entry, or ssh-agent)",
            ) from None
        except asyncssh.ChannelOpenError as exc:
            raise ConnectError(
                self.host, f"cannot reach {where}{via}: {exc.reason or exc}"
            ) from None
        except asyncssh.DisconnectError as exc:
            raise ConnectError(
                self.host, f"{where} closed the connection during the SSH handshake: {exc}"
            ) from None
        except socket.gaierror as exc:
            raise ConnectError(
                self.host, f"cannot resolve host {hop.hostname}: {exc.strerror or exc}"
            ) from None
        except ConnectionRefusedError:
            raise ConnectError(self.host, f"{where}: connection refused{via}") from None
        except TimeoutError:
            raise ConnectError(
                self.host,
                f"no SSH answer from {where} within {self.target.connect_timeout:g} s",
            ) from None
        except OSError as exc:
            raise ConnectError(
                self.host, f"cannot connect to {where}: {exc.strerror or exc}"
            ) from None
        except (asyncssh.Error, ValueError) as exc:
            raise ConnectError(self.host, f"cannot connect to {where}: {exc}") from None
        if tunnel is not None:
            conn.set_tunnel(tunnel)
        try:
            await check.commit()
        except OSError as exc:
            conn.close()
            raise ConnectError(
                self.host, f"cannot add the host key to {hop.known_hosts}: {exc}"
            ) from exc
        except BaseException:
            conn.close()
            raise
        return _Link(conn, client)

    def _ssh_command(self) -> str:
        """The ssh command that reaches the target by the same route (for messages)."""
        port = () if self.target.port is None else ("-p", str(self.target.port))
        return shlex.join(("ssh", *port, self.target.host))

    async def _load_key(self, key: str) -> Sequence[asyncssh.SSHKeyPair]:
        """The IdentityFile (and its -cert.pub if any), read before connecting."""
        try:
            return await asyncio.to_thread(asyncssh.load_keypairs, [key])
        except (OSError, ValueError, asyncssh.KeyImportError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ConnectError(self.host, f"cannot use key {key}: {reason}") from None

    # --- commands -------------------------------------------------------------------

    async def _execute(
        self, command: str, what: str, *, input: str | None, timeout: float | None,
        marks: bytes | None = None,
    ) -> tuple[_Link, asyncssh.SSHClientProcess[bytes], bytes, bytes, float, Marked | None]:
        """Run one command string on one channel: (link, process, stdout, stderr, seconds,
        None if it ran to its end). With ``marks`` (a batch's marker token) the timeout is
        the longest wait for the next marker: a batch cut short there, or at a command that
        printed too much, keeps the output before it, and the last item says how the cut
        came (and how long before it the last marker came)."""
        link = await self._link()
        limit = self.target.command_timeout if timeout is None else timeout
        data = input.encode() if input else None
        started = time.monotonic()
        proc: asyncssh.SSHClientProcess[bytes] | None = None
        loop = asyncio.get_running_loop()
        # opening the channel is the link's part: a slow sshd (a first session, a loaded
        # Dom0) gets the connect timeout even where commands get less
        opening = self._open_limit(limit)
        try:
            async with asyncio.timeout(opening) as whole:
                proc = await _open_process(link, command, stdin_data=data)
                self.last_rtt_s = time.monotonic() - started  # the host's answer: latency
                cut: Marked | None = None
                if marks is None:
                    whole.reschedule(loop.time() + limit)
                    pipes = await read_to_end(proc.stdout.read, proc.stderr.read)
                    if pipes is None:
                        raise OutputTooLarge(self.host, f"{what} printed more than "
                                             f"{MAX_OUTPUT_BYTES >> 20} MiB (not read)")
                    out, err = pipes
                else:
                    whole.reschedule(None)
                    got = await read_while_marked(proc.stdout.read, proc.stderr.read, marks,
                                                  limit)
                    whole.reschedule(loop.time() + limit)  # the close
                    out, err = got.out, got.err
                    cut = None if got.cut_s is None else got
                if cut is None:
                    await proc.wait_closed()
        except TimeoutError:
            if proc is None:
                raise CommandTimeout(self.host, f"{self._where} did not start {what} within "
                                     f"{opening:g} s (it may have started since)") from None
            raise CommandTimeout(
                self.host, f"{what} did not finish within {limit:g} s (it may still be running)"
            ) from None
        except (asyncssh.ChannelOpenError, asyncssh.DisconnectError) as exc:
            if proc is not None:  # it was running: dropped mid-read
                raise self._lost_while(what) from None
            raise self._channel_error(link, what, exc) from None
        finally:
            if proc is not None and proc.exit_status is None and proc.exit_signal is None:
                proc.close()
        assert proc is not None
        if cut is None and proc.exit_status is None and proc.exit_signal is None:
            raise self._lost_while(what)
        return link, proc, out, err, time.monotonic() - started, cut

    def _open_limit(self, command_limit: float) -> float:
        """How long opening a channel may take (the command's time, at least the link's)."""
        return max(command_limit, self.target.connect_timeout)

    def _lost_while(self, what: str) -> ConnectionLost:
        return ConnectionLost(
            self.host, f"connection to {self._where} lost while running {what}; outcome unknown"
        )

    def _channel_error(self, link: _Link, what: str, exc: Exception) -> TransportError:
        if link.client.lost is not None or isinstance(exc, asyncssh.DisconnectError):
            return ConnectionLost(
                self.host, f"connection to {self._where} lost while running {what}: {exc}"
            )
        reason = exc.reason if isinstance(exc, asyncssh.ChannelOpenError) else str(exc)
        return TransportError(self.host, f"{self._where} refused a channel for {what}: {reason}")

    async def run(
        self, argv: Sequence[str], *, timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        args, command = self._command(argv)
        _link, proc, out, err, duration, _ = await self._execute(
            command, args[0], input=input, timeout=timeout
        )
        return CommandResult(args, _exit_code(proc), decode(out), decode(err), duration)

    async def run_batch(
        self, argvs: Sequence[Sequence[str]], *, timeout: float | None = None
    ) -> list[CommandResult]:
        frozen = [checked_argv(a) for a in argvs]
        if not frozen:
            return []
        batch = make_batch_script(frozen, SUDO_PREFIX if self.target.sudo else ())
        what = f"a batch of {len(frozen)} command{'s' if len(frozen) != 1 else ''}"
        # the timeout is each command's, as when they run one by one (a loaded Dom0 can
        # take 20 s for a batch the lab runs in 3)
        each = self.target.command_timeout if timeout is None else timeout
        _link, proc, out, err, duration, cut = await self._execute(
            shlex.join(["sh", "-c", batch.script]), what, input=None, timeout=each,
            marks=batch.token.encode(),
        )
        text = decode(out)
        results = split_batch_output(batch, text, decode(err), duration,
                                     stderr_cut=cut is not None and cut.overflow)
        if None in results:
            missing = results.index(None)
            if cut is not None and cut.cut_s is not None:  # the channel is closed: that
                # command and the rest are lost (and stopped in Dom0); the others are
                # dated from the cut
                after = await self._stop_batch(batch, text, each)
                kept = [None if r is None else
                        replace(r, ended_early_s=(r.ended_early_s or 0.0) + cut.cut_s)
                        for r in results]
                if cut.overflow:
                    raise BatchOutputTooLarge(
                        self.host, f"{shlex.join(frozen[missing])} took the round trip's "
                        f"output past {MAX_OUTPUT_BYTES >> 20} MiB (not read; {after})", kept)
                raise BatchTimeout(self.host, f"{shlex.join(frozen[missing])} did not finish "
                                   f"within {each:g} s ({after})", kept)
            raise ConnectionLost(
                self.host,
                f"{what} ended (exit status {_exit_code(proc)}) before {frozen[missing][0]} "
                "finished; outcome unknown",
            )
        return [r for r in results if r is not None]

    async def _stop_batch(self, batch: BatchScript, stdout: str, timeout: float) -> str:
        """Stop what is left of a batch script in Dom0 (best effort: see STOP_BATCH);
        what became of it, in words."""
        unknown = "it may still be running"
        pid = batch_pid(batch, stdout)
        if pid is None:
            return unknown
        try:
            # (ps and awk get a few seconds even where commands get less)
            res = await self.run(["sh", "-c", STOP_BATCH, "sh", str(pid), batch.token],
                                 timeout=max(timeout, _STOP_BATCH_S))
        except TransportError:
            return unknown
        return ("stopped" if res.ok else "it has ended since"
                if res.exit_code == STOP_BATCH_ENDED else unknown)

    async def stream(self, argv: Sequence[str]) -> LineStream:
        args, command = self._command(argv, prefix=STOP_WITH_CHANNEL)
        link = await self._link()
        try:
            async with asyncio.timeout(self._open_limit(self.target.command_timeout)):
                proc = await _open_process(link, command, stdin_data=None, hold_stdin=True)
        except TimeoutError:
            raise CommandTimeout(self.host, f"could not start {args[0]} in time") from None
        except (asyncssh.ChannelOpenError, asyncssh.DisconnectError) as exc:
            raise self._channel_error(link, args[0], exc) from None
        stream = SshLineStream(self, link, proc, args[0])
        self._open.add(stream)
        return stream

    async def open_pty(
        self, argv: Sequence[str], *, term: str, cols: int, rows: int
    ) -> PtySession:
        check_pty_request(term, cols, rows)
        args, command = self._command(argv)
        link = await self._link()
        try:
            async with asyncio.timeout(self._open_limit(self.target.command_timeout)):
                proc: asyncssh.SSHClientProcess[bytes] = await link.conn.create_process(
                    command, term_type=term, term_size=(cols, rows), encoding=None
                )
        except TimeoutError:
            raise CommandTimeout(self.host, f"could not start {args[0]} in time") from None
        except (asyncssh.ChannelOpenError, asyncssh.DisconnectError) as exc:
            raise self._channel_error(link, args[0], exc) from None
        session = SshPtySession(self, link, proc)
        self._open.add(session)
        return session

    def _forget(self, item: SshLineStream | SshPtySession) -> None:
        self._open.discard(item)

    async def close(self) -> None:
        """Close streams, terminals and the connection (a later call connects again)."""
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, TransportError):
                await self._connecting
        await asyncio.gather(*(item.close() for item in list(self._open)), return_exceptions=True)
        link, self._link_now = self._link_now, None
        if link is not None:
            link.conn.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(link.conn.wait_closed(), _CLOSE_WAIT_S)


def _retrieve(task: asyncio.Task[_Link]) -> None:
    """Mark a connect task's exception as seen (every waiter may have been cancelled)."""
    if not task.cancelled():
        task.exception()


# A remote command outlives its channel until it next writes (SIGPIPE): xenstore-watch on a
# quiet store would linger in Dom0 for ever. So a stream runs under this wrapper, which
# watches the channel's stdin (held open, never written) on fd 3 and kills the command
# when it reaches EOF, i.e. when the channel closes; the command's own exit status is
# the stream's. POSIX sh only (no job control, no pty: stderr stays separate).
STOP_WITH_CHANNEL = (
    "sh", "-c",
    'exec 3<&0; "$@" </dev/null & p=$!; '
    '(cat <&3 >/dev/null 2>&1; kill "$p" 2>/dev/null) & w=$!; exec 3<&-; '
    'wait "$p"; s=$?; kill "$w" 2>/dev/null; exit "$s"',
    "sh",
)


async def _open_process(
    link: _Link, command: str, *, stdin_data: bytes | None, hold_stdin: bool = False
) -> asyncssh.SSHClientProcess[bytes]:
    proc: asyncssh.SSHClientProcess[bytes] = await link.conn.create_process(
        command,
        input=stdin_data,
        stdin=asyncssh.PIPE if stdin_data or hold_stdin else asyncssh.DEVNULL,
        encoding=None,
    )
    return proc


def _exit_code(proc: asyncssh.SSHClientProcess[bytes]) -> int:
    """The exit status; killed by a signal gives 128 + its number, as a shell says."""
    if proc.exit_status is not None and proc.exit_status >= 0:
        return proc.exit_status
    if proc.exit_signal is not None:
        name = proc.exit_signal[0]
        with contextlib.suppress(KeyError):
            return 128 + signal.Signals["SIG" + name].value
    return 255


class SshLineStream:
    """Implements LineStream over a channel; a dropped connection raises ConnectionLost."""

    def __init__(
        self,
        runner: SshRunner,
        link: _Link,
        proc: asyncssh.SSHClientProcess[bytes],
        what: str,
    ) -> None:
        self._runner = runner
        self._link = link
        self._proc = proc
        self._what = what
        self._reader = ChunkedLineReader(self._read_chunk)
        self._stderr = TailBuffer()
        self._stderr_task = asyncio.create_task(self._drain_stderr())
        self._closed = False

    def _lost(self, detail: object) -> ConnectionLost:
        return ConnectionLost(
            self._runner.host,
            f"connection to {self._runner._where} lost while streaming {self._what}: {detail}",
        )

    async def _drain_stderr(self) -> None:
        with contextlib.suppress(asyncssh.Error, OSError):
            while data := await self._proc.stderr.read(65536):
                self._stderr.write(data)

    async def _read_chunk(self) -> bytes:
        try:
            data = await self._proc.stdout.read(65536)
        except asyncssh.DisconnectError as exc:
            raise self._lost(exc) from None
        if data:
            return data
        # EOF: the command ended if its exit status arrives; otherwise the link died.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._proc.wait_closed(), _CLOSE_WAIT_S)
        ended = self._proc.exit_status is not None or self._proc.exit_signal is not None
        if not ended and self._link.client.lost is not None:
            raise self._lost(self._link.client.lost)
        return b""

    async def readline(self, timeout: float | None = None) -> str | None:
        if self._closed:
            return None
        return await self._reader.readline(timeout)

    async def readlines(self, timeout: float | None = None) -> list[str] | None:
        if self._closed:
            return None
        return await self._reader.readlines(timeout)

    @property
    def exit_code(self) -> int | None:
        if self._proc.exit_status is None and self._proc.exit_signal is None:
            return None
        return _exit_code(self._proc)

    async def stderr_text(self) -> str:
        if self.exit_code is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._stderr_task), 1.0)
        return self._stderr.text()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._runner._forget(self)
        self._proc.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._proc.wait_closed(), _CLOSE_WAIT_S)
        self._stderr_task.cancel()


class SshPtySession:
    """Implements PtySession for a command on a remote pseudo-terminal."""

    def __init__(
        self, runner: SshRunner, link: _Link, proc: asyncssh.SSHClientProcess[bytes]
    ) -> None:
        self._runner = runner
        self._link = link
        self._proc = proc
        self._closed = False

    def _lost(self, detail: object) -> ConnectionLost:
        return ConnectionLost(
            self._runner.host, f"connection to {self._runner._where} lost: {detail}"
        )

    async def write(self, data: bytes) -> None:
        try:
            self._proc.stdin.write(data)
            await self._proc.stdin.drain()
        except (asyncssh.DisconnectError, BrokenPipeError, ConnectionError) as exc:
            if self._link.client.lost is not None:
                raise self._lost(self._link.client.lost) from None
            raise ConnectionLost(self._runner.host, f"terminal closed: {exc}") from None

    async def read(self, n: int = 65536) -> bytes:
        try:
            data = await self._proc.stdout.read(n)
        except asyncssh.DisconnectError as exc:
            raise self._lost(exc) from None
        if not data and self._link.client.lost is not None and self._proc.exit_status is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._proc.wait_closed(), _CLOSE_WAIT_S)
            if self._proc.exit_status is None and self._proc.exit_signal is None:
                raise self._lost(self._link.client.lost)
        return data

    def resize(self, cols: int, rows: int) -> None:
        check_pty_request("xterm", cols, rows)
        if not self._closed:
            self._proc.change_terminal_size(cols, rows)

    async def wait(self) -> int | None:
        await self._proc.wait_closed()
        status = self._proc.exit_status
        return status if status is not None and status >= 0 else None

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._runner._forget(self)
        self._proc.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._proc.wait_closed(), _CLOSE_WAIT_S)
