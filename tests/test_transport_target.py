"""SshTarget parsing and validation, ~/.ssh/config resolution, and the reconnect backoff."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from collectors.transport.backoff import Backoff
from collectors.transport.ssh_target import SshTarget, parse_jump, parse_target, resolve_host


@pytest.mark.parametrize(
    ("spec", "user", "host", "port", "alias", "name"),
    [
        ("dom0-a", None, "dom0-a", None, "dom0-a", "dom0-a"),
        ("root@10.0.0.5", "root", "10.0.0.5", None, None, "root@10.0.0.5"),
        ("10.0.0.5:2222", None, "10.0.0.5", 2222, None, "10.0.0.5:2222"),
        ("ops@xen7.example.com:22", "ops", "xen7.example.com", 22, None,
         "ops@xen7.example.com:22"),
        ("[fe80::1]:2200", None, "fe80::1", 2200, None, "[fe80::1]:2200"),
        ("admin@[2001:db8::5]:22", "admin", "2001:db8::5", 22, None, "admin@[2001:db8::5]:22"),
        ("[::1]", None, "::1", None, None, "::1"),
        ("2001:db8::7", None, "2001:db8::7", None, None, "2001:db8::7"),
    ],
)
def test_parse_target_forms(
    spec: str, user: str | None, host: str, port: int | None, alias: str | None, name: str
) -> None:
    t = parse_target(spec)
    assert (t.user, t.host, t.port, t.alias) == (user, host, port, alias)
    assert t.name == name
    assert t.host_key_policy is None and t.sudo is False  # (~/.ssh/config's, else strict)


@pytest.mark.parametrize(
    "spec",
    [
        "local", "", " ", "root@", "@host", "host:", "host:0", "host:65536", "host:22x",
        "[fe80::1", "[notv6]:22", "[::1]x", "$(reboot)", "a;rm -rf /", "h`id`", "[red]x",
        "host\nname", "host name", "-oProxyCommand=x", "us'er@host", "a@b@c", "h:٢٢",
    ],
)
def test_parse_target_rejects(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_target(spec)


def test_target_validates_fields() -> None:
    with pytest.raises(ValueError, match="policy"):
        SshTarget("h", host_key_policy="maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="port"):
        SshTarget("h", port=0)
    with pytest.raises(ValueError, match="user"):
        SshTarget("h", user="x y")
    with pytest.raises(ValueError, match="connect_timeout"):
        SshTarget("h", connect_timeout=0)
    assert SshTarget("h", user="u", port=2).name == "u@h:2"
    assert SshTarget("10.1.1.1", alias="web-dom0").name == "web-dom0"


def test_parse_jump() -> None:
    assert parse_jump("ops@bastion:2022") == ("ops", "bastion", 2022)
    assert parse_jump("ssh://bastion") == (None, "bastion", None)
    with pytest.raises(ValueError):
        parse_jump("bastion:x")


def test_resolve_host_applies_config(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "Host lab\n  HostName 127.0.0.1\n  Port 2222\n  User root\n"
        "  StrictHostKeyChecking accept-new\n  UserKnownHostsFile ~/kh-lab\n"
        "  ProxyJump ops@bastion:22\n"
        "Host other\n  StrictHostKeyChecking no\n  ProxyJump none\n"
    )
    lab = resolve_host("lab", user=None, port=None, config_paths=[str(config)],
                       policy=None, known_hosts=None)
    assert (lab.hostname, lab.port, lab.user) == ("127.0.0.1", 2222, "root")
    assert lab.host_key_policy == "accept-new"
    assert lab.known_hosts == Path("~/kh-lab").expanduser()
    assert lab.proxy_jump == "ops@bastion:22"
    assert lab.display == "127.0.0.1:2222"
    # explicit values win over the config (as on the ssh command line)
    explicit = resolve_host("lab", user="ops", port=22, config_paths=[str(config)],
                            policy="strict", known_hosts=str(tmp_path / "kh"))
    assert (explicit.user, explicit.port, explicit.known_hosts) == ("ops", 22, tmp_path / "kh")
    other = resolve_host("other", user=None, port=None, config_paths=[str(config)],
                         policy=None, known_hosts=None)
    assert other.host_key_policy == "off" and other.proxy_jump is None
    # a policy given (xltop's host_key_policy) wins over StrictHostKeyChecking, as
    # `ssh -o StrictHostKeyChecking=yes` does: "strict" there is not turned off here
    for host, given in (("other", "strict"), ("lab", "strict"), ("other", "accept-new")):
        got = resolve_host(host, user=None, port=None, config_paths=[str(config)],
                           policy=given, known_hosts=None)
        assert got.host_key_policy == given
    unset = resolve_host("x", user=None, port=None, config_paths=[], policy=None,
                         known_hosts=None)
    assert unset.host_key_policy == "strict"
    assert other.hostname == "other" and other.port == 22
    plain = resolve_host("x", user=None, port=None, config_paths=[], policy="accept-new",
                         known_hosts=None)
    assert plain.host_key_policy == "accept-new"


def test_backoff_doubles_to_a_cap_with_jitter() -> None:
    now = [100.0]
    b = Backoff(clock=lambda: now[0], rng=lambda: 0.0)
    delays = [b.failed() for _ in range(9)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert b.remaining() == 60
    now[0] += 59.5
    assert b.remaining() == pytest.approx(0.5)
    # said as a time of day: a message shown for a while stays true
    midnight = time.mktime((2026, 11, 27, 0, 0, 0, 0, 0, -1))
    assert b.retry_at_text(wall=lambda: midnight + 3600 + 60) == "01:01:00"
    b.succeeded()
    assert b.remaining() == 0 and b.failed() == 1
    jittery = Backoff(clock=lambda: 0.0, rng=lambda: 1.0, jitter=0.2)
    assert jittery.failed() == pytest.approx(1.2)
    assert jittery.failed() == pytest.approx(2.4)
