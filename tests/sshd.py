"""An in-process SSH server on 127.0.0.1 for the transport tests.

Every exec request runs the received command string with a real ``/bin/sh -c`` in a
temp dir (like a real host would), relaying stdin, stdout, stderr and the exit status.
PTY requests run the command on a local pseudo-terminal and forward window changes.
A fake ``sudo`` on the server's PATH records its argv and execs the rest.
The server counts sessions (channels) and can drop every connection on demand.

Test modules load it as a plugin (``pytest_plugins``) for its fixtures and import its
helpers, so pytest must not try to rewrite it: PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import signal
import struct
import termios
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from collectors.transport.ssh_target import SshTarget

FAKE_SUDO = """#!/bin/sh
# records its argv (NUL-separated, one invocation per line) and runs the command
printf '%s\\0' "$@" >> "$SUDO_LOG"; printf '\\n' >> "$SUDO_LOG"
[ "$1" = "-n" ] && shift
exec "$@"
"""


@dataclass
class ClientKey:
    """A client key pair written to disk (private key path, public key text)."""

    path: Path
    public: str


def make_client_key(directory: Path, name: str = "id_ed25519") -> ClientKey:
    key = asyncssh.generate_private_key("ssh-ed25519")
    path = directory / name
    key.write_private_key(str(path))
    path.chmod(0o600)
    public = key.export_public_key("openssh").decode()
    (directory / (name + ".pub")).write_text(public)
    return ClientKey(path, public)


def known_hosts_line(host: str, port: int, key: asyncssh.SSHKey) -> str:
    pattern = host if port == 22 else f"[{host}]:{port}"
    fields = key.export_public_key("openssh").decode().split()
    return f"{pattern} {fields[0]} {fields[1]}\n"


@dataclass
class LoopbackSshd:
    """One listening server; state the tests inspect."""

    workdir: Path
    authorized: str
    allow_forwarding: bool = False
    host_key: asyncssh.SSHKey = field(
        default_factory=lambda: asyncssh.generate_private_key("ssh-ed25519")
    )
    port: int = 0
    sessions: list[str | None] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    forwards: list[tuple[str, int]] = field(default_factory=list)
    connections: list[asyncssh.SSHServerConnection] = field(default_factory=list)
    children: set[int] = field(default_factory=set)
    _piped: dict[int, asyncio.subprocess.Process] = field(default_factory=dict)
    _reapers: set[asyncio.Task[None]] = field(default_factory=set)
    _acceptor: asyncssh.SSHAcceptor | None = None

    @property
    def sudo_log(self) -> Path:
        return self.workdir / "sudo.log"

    def prepare(self) -> None:
        """Create the working dir and the fake sudo on the server's PATH."""
        bindir = self.workdir / "bin"
        bindir.mkdir(parents=True, exist_ok=True)
        sudo = bindir / "sudo"
        sudo.write_text(FAKE_SUDO)
        sudo.chmod(0o755)

    async def start(self) -> None:
        self.prepare()
        self._acceptor = await asyncssh.create_server(
            lambda: _Server(self),
            "127.0.0.1",
            self.port,
            server_host_keys=[self.host_key],
            authorized_client_keys=asyncssh.import_authorized_keys(self.authorized),
            process_factory=self._handle if not self.allow_forwarding else None,
            encoding=None,
            line_editor=False,
            allow_pty=True,
            keepalive_interval=0,
        )
        self.port = self._acceptor.sockets[0].getsockname()[1]

    def drop_connections(self) -> None:
        """Abort every client connection (as a crashed or rebooted host would)."""
        for conn in self.connections:
            conn.abort()
        self.connections.clear()

    async def stop(self) -> None:
        self.drop_connections()
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        for task in list(self._reapers):
            task.cancel()
        for child in self._piped.values():  # killed: let go of their pipes (no leak at exit)
            transport = getattr(child, "_transport", None)
            if transport is not None:
                transport.close()
        self._piped.clear()
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = f"{self.workdir / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        env["SUDO_LOG"] = str(self.sudo_log)
        env["HOME"] = str(self.workdir)
        env.pop("PS1", None)
        return env

    async def _handle(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        command = process.command
        self.sessions.append(command)
        argv = ["/bin/sh", "-c", command] if command is not None else ["/bin/sh", "-i"]
        try:
            if process.get_terminal_type():
                await self._run_on_pty(process, argv)
            else:
                await self._run_piped(process, argv)
        except (asyncssh.Error, OSError, asyncio.CancelledError):
            process.close()

    async def _run_piped(self, process: asyncssh.SSHServerProcess[bytes], argv: list[str]) -> None:
        child = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self.workdir,
            env=self._env(),
            start_new_session=True,
        )
        self.children.add(child.pid)
        self._piped[child.pid] = child
        assert child.stdin and child.stdout and child.stderr

        async def pump_out(src: asyncio.StreamReader, dst: asyncssh.SSHWriter[bytes]) -> None:
            while data := await src.read(65536):
                dst.write(data)

        async def pump_in() -> None:
            assert child.stdin is not None
            with contextlib.suppress(asyncssh.Error, OSError):
                while data := await process.stdin.read(65536):
                    child.stdin.write(data)
                    await child.stdin.drain()
            with contextlib.suppress(OSError):
                child.stdin.close()

        inbound = asyncio.create_task(pump_in())
        outputs = asyncio.gather(
            pump_out(child.stdout, process.stdout), pump_out(child.stderr, process.stderr)
        )
        closed = asyncio.create_task(process.channel.wait_closed())
        waiting: set[asyncio.Future[Any]] = {outputs, closed}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if closed in done:
            # The client went away. Like OpenSSH's sshd, close the command's pipes and
            # leave it be: it gets EOF on stdin and SIGPIPE at its next write, no signal.
            outputs.cancel()
            inbound.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await outputs
            transport = getattr(child, "_transport", None)
            if transport is not None:
                for fd in (0, 1, 2):
                    pipe = transport.get_pipe_transport(fd)
                    if pipe is not None:
                        pipe.close()
            self._reapers.add(asyncio.create_task(self._reap(child)))
            return
        try:
            rc = await child.wait()
            process.exit(rc if rc >= 0 else 128 - rc)
        finally:
            inbound.cancel()
            closed.cancel()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            await child.wait()
            self.children.discard(child.pid)
            self._piped.pop(child.pid, None)

    async def _reap(self, child: asyncio.subprocess.Process) -> None:
        await child.wait()
        self.children.discard(child.pid)
        self._piped.pop(child.pid, None)

    async def _run_on_pty(self, process: asyncssh.SSHServerProcess[bytes], argv: list[str]) -> None:
        cols, rows, _, _ = process.get_terminal_size()
        master, slave = pty.openpty()
        _set_size(master, cols, rows)
        env = self._env()
        env["TERM"] = process.get_terminal_type() or "dumb"
        child = await asyncio.create_subprocess_exec(
            *argv, stdin=slave, stdout=slave, stderr=slave, cwd=self.workdir, env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.children.add(child.pid)
        os.set_blocking(master, False)
        loop = asyncio.get_running_loop()
        output: asyncio.Queue[bytes] = asyncio.Queue()

        def readable() -> None:
            try:
                data = os.read(master, 65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(master)
            output.put_nowait(data)

        loop.add_reader(master, readable)

        async def pump_out() -> None:
            while data := await output.get():
                process.stdout.write(data)

        async def pump_in() -> None:
            while True:
                try:
                    data = await process.stdin.read(65536)
                except asyncssh.TerminalSizeChanged as change:
                    _set_size(master, change.width, change.height)
                    continue
                if not data:
                    return
                os.write(master, data)

        inbound = asyncio.create_task(pump_in())
        try:
            await pump_out()
            rc = await child.wait()
            process.exit(rc if rc >= 0 else 128 - rc)
        finally:
            inbound.cancel()
            loop.remove_reader(master)
            os.close(master)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            await child.wait()
            self.children.discard(child.pid)


def _set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class _Server(asyncssh.SSHServer):
    def __init__(self, state: LoopbackSshd) -> None:
        self._state = state

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._state.connections.append(conn)

    def begin_auth(self, username: str) -> bool:
        self._state.usernames.append(username)
        return True

    def connection_requested(
        self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
    ) -> bool:
        if not self._state.allow_forwarding or dest_host != "127.0.0.1":
            return False
        self._state.forwards.append((dest_host, dest_port))
        return True


@contextlib.asynccontextmanager
async def running_server(
    workdir: Path, client_key: ClientKey, *, allow_forwarding: bool = False
) -> AsyncIterator[LoopbackSshd]:
    server = LoopbackSshd(workdir, client_key.public, allow_forwarding=allow_forwarding)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class SilentListener:
    port: int
    accepted: list[asyncio.StreamWriter] = field(default_factory=list)


@contextlib.asynccontextmanager
async def silent_listener() -> AsyncIterator[SilentListener]:
    """A TCP listener that accepts connections and never says anything."""
    listener = SilentListener(0)

    async def hold(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        listener.accepted.append(w)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    listener.port = server.sockets[0].getsockname()[1]
    try:
        yield listener
    finally:
        for w in listener.accepted:
            w.close()
        server.close()
        await server.wait_closed()


# --- pytest fixtures (import them into a test module to use them) ----------------------


@dataclass
class SshEnv:
    """A running server plus everything a client needs to trust and reach it."""

    server: LoopbackSshd
    key: ClientKey
    known_hosts: Path
    ssh_config: Path
    tmp: Path

    def target(self, **overrides: object) -> SshTarget:
        fields: dict[str, object] = {
            "host": "127.0.0.1",
            "port": self.server.port,
            "key": str(self.key.path),
            "known_hosts": str(self.known_hosts),
            "ssh_config": str(self.ssh_config),
            "connect_timeout": 5.0,
            "command_timeout": 10.0,
        }
        fields.update(overrides)
        return SshTarget(**fields)  # type: ignore[arg-type]


@pytest.fixture
def client_key(tmp_path: Path) -> ClientKey:
    keydir = tmp_path / "client"
    keydir.mkdir()
    return make_client_key(keydir)


@pytest.fixture
async def ssh_env(tmp_path: Path, client_key: ClientKey) -> AsyncIterator[SshEnv]:
    async with running_server(tmp_path / "srv", client_key) as server:
        yield make_env(server, client_key, tmp_path)


def make_env(server: LoopbackSshd, key: ClientKey, tmp: Path) -> SshEnv:
    """Trust the server's key in a fresh known_hosts; an empty ssh config."""
    known = tmp / "known_hosts"
    known.write_text(known_hosts_line("127.0.0.1", server.port, server.host_key))
    config = tmp / "ssh_config"
    config.write_text("# empty: no ~/.ssh/config in tests\n")
    return SshEnv(server, key, known, config, tmp)
