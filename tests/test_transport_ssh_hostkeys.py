"""SshRunner connecting: host keys, unreachable hosts, authentication, backoff."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import asyncssh
import pytest

from collectors.transport.backoff import Backoff
from collectors.transport.base import ConnectError, ConnectionLost, HostKeyError, TransportError
from collectors.transport.ssh import SshRunner
from collectors.transport.ssh_target import SshTarget
from tests.sshd import (
    ClientKey,
    SshEnv,
    known_hosts_line,
    make_client_key,
    make_env,
    running_server,
    silent_listener,
)

pytest_plugins = ["tests.sshd"]  # the client_key and ssh_env fixtures


async def _connect_error(runner: SshRunner) -> ConnectError:
    try:
        with pytest.raises(ConnectError) as info:
            await runner.run(["true"])
        return info.value
    finally:
        await runner.close()


async def test_unknown_host_key_names_host_and_how_to_trust_it(ssh_env: SshEnv) -> None:
    ssh_env.known_hosts.write_text("")
    err = await _connect_error(SshRunner(ssh_env.target()))
    port, path = ssh_env.server.port, ssh_env.known_hosts
    assert isinstance(err, HostKeyError)
    assert f"host key for 127.0.0.1:{port} (ssh-ed25519 SHA256:" in str(err)
    assert f"is not in {path}; verify it and add it with" in str(err)
    assert f"ssh-keyscan -p {port} 127.0.0.1 >> {path}" in str(err)
    assert ssh_env.server.sessions == []  # never authenticated, never ran anything


async def test_missing_known_hosts_file_is_unknown_key(ssh_env: SshEnv) -> None:
    err = await _connect_error(SshRunner(ssh_env.target(known_hosts=str(ssh_env.tmp / "nope"))))
    assert isinstance(err, HostKeyError) and "is not in" in str(err)


async def test_changed_host_key_is_refused_with_the_line_to_remove(ssh_env: SshEnv) -> None:
    port = ssh_env.server.port
    other = asyncssh.generate_private_key("ssh-ed25519")
    ssh_env.known_hosts.write_text(
        "# comment\n"
        + known_hosts_line("10.9.9.9", 22, other)
        + "garbage line that is not an entry\n"
        + known_hosts_line("127.0.0.1", port, other)
    )
    for policy in ("strict", "accept-new"):
        err = await _connect_error(SshRunner(ssh_env.target(host_key_policy=policy)))
        assert isinstance(err, HostKeyError)
        assert f"host key for 127.0.0.1:{port} has CHANGED" in str(err)
        assert "remove line 4" in str(err) and f"'[127.0.0.1]:{port}'" in str(err)
    assert len(ssh_env.known_hosts.read_text().splitlines()) == 4  # not touched


async def test_changed_key_type_is_refused(ssh_env: SshEnv) -> None:
    rsa = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
    ssh_env.known_hosts.write_text(known_hosts_line("127.0.0.1", ssh_env.server.port, rsa))
    err = await _connect_error(SshRunner(ssh_env.target()))
    assert isinstance(err, HostKeyError) and "CHANGED" in str(err) and "ssh-rsa" in str(err)


async def test_accept_new_adds_the_key_then_strict_trusts_it(ssh_env: SshEnv) -> None:
    ssh_env.known_hosts.write_text("# no newline at end")
    r = SshRunner(ssh_env.target(host_key_policy="accept-new"))
    assert (await r.run(["echo", "ok"])).stdout == "ok\n"
    await r.close()
    lines = ssh_env.known_hosts.read_text().splitlines()
    assert lines == [
        "# no newline at end",
        known_hosts_line("127.0.0.1", ssh_env.server.port, ssh_env.server.host_key).strip(),
    ]
    strict = SshRunner(ssh_env.target())
    assert (await strict.run(["true"])).ok
    await strict.close()


async def test_off_skips_checking(ssh_env: SshEnv) -> None:
    ssh_env.known_hosts.write_text("")
    r = SshRunner(ssh_env.target(host_key_policy="off"))
    assert (await r.run(["true"])).ok
    await r.close()
    assert ssh_env.known_hosts.read_text() == ""


async def test_ssh_config_strict_host_key_checking_overrides_default(ssh_env: SshEnv) -> None:
    ssh_env.known_hosts.write_text("")
    ssh_env.ssh_config.write_text("Host 127.0.0.1\n  StrictHostKeyChecking accept-new\n")
    r = SshRunner(ssh_env.target())  # policy left at its default, strict
    assert (await r.run(["true"])).ok
    await r.close()
    assert "ssh-ed25519" in ssh_env.known_hosts.read_text()


async def test_a_policy_given_wins_over_ssh_config(ssh_env: SshEnv) -> None:
    # host_key_policy = "strict" in xltop's config, and a lax ~/.ssh/config (Host *
    # StrictHostKeyChecking no): a changed key is still refused, not silently trusted
    other = asyncssh.generate_private_key("ssh-ed25519")
    ssh_env.known_hosts.write_text(known_hosts_line("127.0.0.1", ssh_env.server.port, other))
    ssh_env.ssh_config.write_text("Host *\n  StrictHostKeyChecking no\n")
    err = await _connect_error(SshRunner(ssh_env.target(host_key_policy="strict")))
    assert isinstance(err, HostKeyError) and "has CHANGED" in str(err)
    r = SshRunner(ssh_env.target())  # none given: ~/.ssh/config decides
    assert (await r.run(["true"])).ok
    await r.close()


async def test_host_that_never_answers_times_out() -> None:
    async with silent_listener() as listener:
        port = listener.port
        target = SshTarget("127.0.0.1", port=port, connect_timeout=0.5, ssh_config="/dev/null",
                           known_hosts="/dev/null")
        started = time.monotonic()
        err = await _connect_error(SshRunner(target))
    assert time.monotonic() - started < 2.0
    assert f"no SSH answer from 127.0.0.1:{port} within 0.5 s" in str(err)


async def test_closed_port_fails_fast_then_backs_off() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens once it is closed
    target = SshTarget("127.0.0.1", port=port, ssh_config="/dev/null", known_hosts="/dev/null")
    r = SshRunner(target)
    started = time.monotonic()
    with pytest.raises(ConnectError, match=f"127.0.0.1:{port}: connection refused$"):
        await r.run(["true"])
    assert time.monotonic() - started < 1.0
    with pytest.raises(ConnectError,
                       match=r"connection refused; retrying, not before \d\d:\d\d:\d\d$"):
        await r.run(["true"])
    await r.close()


async def test_backoff_does_not_hammer_a_silent_host() -> None:
    async with silent_listener() as listener:
        port = listener.port
        target = SshTarget("127.0.0.1", port=port, connect_timeout=0.3, ssh_config="/dev/null",
                           known_hosts="/dev/null")
        backoff = Backoff(base_s=0.4, jitter=0.0)
        r = SshRunner(target, backoff=backoff)
        results = await asyncio.gather(*(r.run(["true"]) for _ in range(5)),
                                       return_exceptions=True)
        # five concurrent calls share one attempt and its error
        assert all(isinstance(x, ConnectError) and "no SSH answer" in str(x) for x in results)
        assert len(listener.accepted) == 1
        started = time.monotonic()
        with pytest.raises(ConnectError, match=r"; retrying, not before \d\d:\d\d:\d\d$"):
            await r.run(["true"])
        assert time.monotonic() - started < 0.1
        await asyncio.sleep(backoff.remaining())
        with pytest.raises(ConnectError, match="no SSH answer"):
            await r.run(["true"])
        assert backoff.failures == 2 and backoff.remaining() > 0.6  # 0.8 s after the 2nd
        assert len(listener.accepted) == 2  # the fail-fast call never touched the host
        await r.close()


async def test_unauthorized_key_is_an_auth_error(ssh_env: SshEnv, tmp_path: Path) -> None:
    stranger = make_client_key(tmp_path, "stranger")
    err = await _connect_error(SshRunner(ssh_env.target(key=str(stranger.path), user="ops")))
    assert type(err) is ConnectError
    assert f"ops@127.0.0.1:{ssh_env.server.port}: authentication failed" in str(err)


async def test_unreadable_key_file_is_a_connect_error(ssh_env: SshEnv) -> None:
    err = await _connect_error(SshRunner(ssh_env.target(key=str(ssh_env.tmp / "missing-key"))))
    assert "missing-key" in str(err)


async def test_unresolvable_host_names_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_dns(host: str, *args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    # no real DNS query leaves the machine: the loop's resolver answers "no such name"
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", no_dns)
    target = SshTarget("dom0.nowhere.example", ssh_config="/dev/null", known_hosts="/dev/null")
    err = await _connect_error(SshRunner(target))
    assert str(err) == (
        "dom0.nowhere.example: cannot resolve host dom0.nowhere.example: "
        "Name or service not known"
    )


async def test_close_during_connect_fails_the_waiting_call() -> None:
    async with silent_listener() as listener:
        port = listener.port
        target = SshTarget("127.0.0.1", port=port, connect_timeout=30, ssh_config="/dev/null",
                           known_hosts="/dev/null")
        r = SshRunner(target)
        call = asyncio.create_task(r.run(["true"]))
        await asyncio.sleep(0.2)
        await r.close()
        with pytest.raises(ConnectError, match="connection attempt cancelled"):
            await asyncio.wait_for(call, 2)


async def test_server_refusing_channels_is_a_transport_error(
    tmp_path: Path, client_key: ClientKey
) -> None:
    async with running_server(tmp_path / "fwd", client_key, allow_forwarding=True) as fwd:
        env = make_env(fwd, client_key, tmp_path)
        r = SshRunner(env.target())
        with pytest.raises(TransportError, match="refused a channel for echo") as info:
            await r.run(["echo", "x"])
        assert not isinstance(info.value, ConnectionLost | ConnectError)
        assert r.connected  # the connection itself is fine
        await r.close()


async def test_every_known_hosts_file_of_the_ssh_config_is_read(ssh_env: SshEnv) -> None:
    """ssh reads every UserKnownHostsFile listed and the GlobalKnownHostsFile: a key kept
    in the second one, or in the fleet's file under /etc/ssh, was refused as "not in"
    the first."""
    line = known_hosts_line("127.0.0.1", ssh_env.server.port, ssh_env.server.host_key)
    fleet, site = ssh_env.tmp / "fleet_known_hosts", ssh_env.tmp / "ssh_known_hosts"
    for config, holder in (
        (f"UserKnownHostsFile {ssh_env.known_hosts} {fleet}\n", fleet),
        (f"UserKnownHostsFile {ssh_env.known_hosts}\nGlobalKnownHostsFile {site}\n", site),
    ):
        ssh_env.known_hosts.write_text("")
        holder.write_text(line)
        ssh_env.ssh_config.write_text(f"Host 127.0.0.1\n  {config}")
        r = SshRunner(ssh_env.target(known_hosts=None))
        assert (await r.run(["true"])).ok
        await r.close()
        holder.unlink()
    # a changed key in the second file is named there
    other = asyncssh.generate_private_key("ssh-ed25519")
    fleet.write_text("# fleet\n" + known_hosts_line("127.0.0.1", ssh_env.server.port, other))
    ssh_env.ssh_config.write_text(
        f"Host 127.0.0.1\n  UserKnownHostsFile {ssh_env.known_hosts} {fleet}\n")
    err = await _connect_error(SshRunner(ssh_env.target(known_hosts=None,
                                                        host_key_policy="accept-new")))
    assert isinstance(err, HostKeyError) and "has CHANGED" in str(err)
    assert f"does not match {fleet} line 2" in str(err) and f"-f {fleet}" in str(err)
    assert ssh_env.known_hosts.read_text() == ""  # accept-new: not a new host
