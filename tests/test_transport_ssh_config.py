"""SshRunner with an OpenSSH client config: Host aliases and ProxyJump through a bastion."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from collectors.transport.base import HostKeyError
from collectors.transport.ssh import SshRunner
from collectors.transport.ssh_target import parse_target
from tests.sshd import (
    ClientKey,
    LoopbackSshd,
    SshEnv,
    known_hosts_line,
    running_server,
)

pytest_plugins = ["tests.sshd"]  # the client_key and ssh_env fixtures


def _write_config(env: SshEnv, text: str) -> None:
    env.ssh_config.write_text(text)


async def test_alias_from_config(ssh_env: SshEnv) -> None:
    _write_config(
        ssh_env,
        f"Host myalias\n  HostName 127.0.0.1\n  Port {ssh_env.server.port}\n"
        f"  User xltest\n  IdentityFile {ssh_env.key.path}\n"
        f"  UserKnownHostsFile {ssh_env.known_hosts}\n",
    )
    target = dataclasses.replace(parse_target("myalias"), ssh_config=str(ssh_env.ssh_config))
    r = SshRunner(target)
    try:
        assert r.host == "myalias"
        assert (await r.run(["echo", "via alias"])).stdout == "via alias\n"
    finally:
        await r.close()
    assert ssh_env.server.usernames == ["xltest"]


def _jump_env(key: ClientKey, env: SshEnv, jump: LoopbackSshd) -> str:
    """Config: target reachable only through ProxyJump bastion; returns the alias."""
    kh = env.known_hosts
    kh.write_text(
        known_hosts_line("127.0.0.1", env.server.port, env.server.host_key)
        + known_hosts_line("127.0.0.1", jump.port, jump.host_key)
    )
    _write_config(
        env,
        f"Host dom0\n  HostName 127.0.0.1\n  Port {env.server.port}\n  ProxyJump bastion\n"
        f"  IdentityFile {key.path}\n  UserKnownHostsFile {kh}\n"
        f"Host bastion\n  HostName 127.0.0.1\n  Port {jump.port}\n  User jumper\n"
        f"  IdentityFile {key.path}\n  UserKnownHostsFile {kh}\n",
    )
    return "dom0"


async def test_proxy_jump_through_a_bastion(
    ssh_env: SshEnv, client_key: ClientKey, tmp_path: Path
) -> None:
    async with running_server(tmp_path / "jump", client_key, allow_forwarding=True) as jump:
        alias = _jump_env(client_key, ssh_env, jump)
        target = dataclasses.replace(parse_target(alias), ssh_config=str(ssh_env.ssh_config))
        r = SshRunner(target)
        try:
            assert (await r.run(["echo", "hop"])).stdout == "hop\n"
            batch = await r.run_batch([["echo", "a"], ["echo", "b"]])
            assert [x.stdout for x in batch] == ["a\n", "b\n"]
        finally:
            await r.close()
        assert jump.usernames == ["jumper"]
        assert jump.forwards == [("127.0.0.1", ssh_env.server.port)]
        assert jump.sessions == []  # the bastion only forwarded; commands ran on dom0
        assert len(ssh_env.server.sessions) == 2


async def test_proxy_jump_checks_the_bastion_host_key(
    ssh_env: SshEnv, client_key: ClientKey, tmp_path: Path
) -> None:
    async with running_server(tmp_path / "jump", client_key, allow_forwarding=True) as jump:
        alias = _jump_env(client_key, ssh_env, jump)
        # trust only dom0; the bastion's key is unknown
        ssh_env.known_hosts.write_text(
            known_hosts_line("127.0.0.1", ssh_env.server.port, ssh_env.server.host_key)
        )
        target = dataclasses.replace(parse_target(alias), ssh_config=str(ssh_env.ssh_config))
        r = SshRunner(target)
        with pytest.raises(HostKeyError, match=f"host key for 127.0.0.1:{jump.port} "):
            await r.run(["true"])
        await r.close()
        assert jump.forwards == [] and ssh_env.server.sessions == []


async def test_the_targets_host_key_policy_is_not_the_bastions(
    ssh_env: SshEnv, client_key: ClientKey, tmp_path: Path
) -> None:
    """host_key_policy = "off" for a throwaway Dom0 turned checking off for its bastion
    too, over the bastion's own StrictHostKeyChecking yes: a changed bastion key went by."""
    async with running_server(tmp_path / "jump", client_key, allow_forwarding=True) as jump:
        alias = _jump_env(client_key, ssh_env, jump)
        _write_config(ssh_env, ssh_env.ssh_config.read_text().replace(
            "Host bastion\n", "Host bastion\n  StrictHostKeyChecking yes\n"))
        ssh_env.known_hosts.write_text(  # the bastion's key is not the one trusted
            known_hosts_line("127.0.0.1", jump.port, ssh_env.server.host_key))
        target = dataclasses.replace(parse_target(alias), ssh_config=str(ssh_env.ssh_config),
                                     host_key_policy="off")
        r = SshRunner(target)
        with pytest.raises(HostKeyError, match=f"host key for 127.0.0.1:{jump.port} "):
            await r.run(["true"])
        await r.close()
        assert jump.forwards == [] and ssh_env.server.sessions == []


async def test_an_unknown_key_behind_a_bastion_is_not_to_be_scanned_from_here(
    ssh_env: SshEnv, client_key: ClientKey, tmp_path: Path
) -> None:
    """ssh-keyscan from this machine does not go through the ProxyJump: for a Dom0 behind
    a bastion it reaches another host (its HostName here) or none; connecting once with
    ssh does go through it."""
    async with running_server(tmp_path / "jump", client_key, allow_forwarding=True) as jump:
        alias = _jump_env(client_key, ssh_env, jump)
        ssh_env.known_hosts.write_text(  # trust only the bastion; dom0's key is unknown
            known_hosts_line("127.0.0.1", jump.port, jump.host_key))
        target = dataclasses.replace(parse_target(alias), ssh_config=str(ssh_env.ssh_config))
        r = SshRunner(target)
        with pytest.raises(HostKeyError) as info:
            await r.run(["true"])
        await r.close()
    message = str(info.value)
    assert f"host key for 127.0.0.1:{ssh_env.server.port} (ssh-ed25519 " in message
    assert "ssh-keyscan" not in message
    assert f"connect once with ssh {alias} (through its ProxyJump)" in message
