from pathlib import Path

import pytest

from collectors.config import (
    ConfigError,
    HostConfig,
    Settings,
    default_config_path,
    host_from_spec,
    load_settings,
    production_names,
    settings_from_dict,
)
from collectors.fleet import ssh_target

SAMPLE = """
interval = 1.5
theme = "xltop-light"
read_only = true

[keys]
"domain.pause" = "P"

[cadence]
vcpus_s = 30

[groups.prod]
accent = "red"
banner = "PROD"
production = true
sudo = true

[[hosts]]
name = "xen1"
target = "admin@10.0.0.5:2200"
group = "prod"
tags = ["rack1"]

[[hosts]]
name = "lab"
sudo = false
"""


def test_config_file_with_groups_hosts_keys_and_cadence(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text(SAMPLE)
    s = load_settings(p, env={})
    assert s.interval_s == 1.5 and s.theme == "xltop-light" and s.read_only
    assert s.keys == {"domain.pause": "P"}
    assert s.cadence.vcpus_s == 30.0
    xen1, lab = s.hosts
    assert (xen1.name, xen1.target, xen1.accent, xen1.banner) == ("xen1", "admin@10.0.0.5:2200",
                                                                   "red", "PROD")
    assert xen1.production and xen1.sudo and xen1.tags == ("rack1",)
    assert lab.target == "lab" and not lab.sudo and lab.accent is None


def test_config_path_from_env_and_xdg(tmp_path: Path) -> None:
    (tmp_path / "xltop").mkdir()
    (tmp_path / "xltop" / "config.toml").write_text('theme = "x"\n')
    assert load_settings(env={"XDG_CONFIG_HOME": str(tmp_path)}).theme == "x"
    other = tmp_path / "o.toml"
    other.write_text('theme = "y"\n')
    assert load_settings(env={"XLTOP_CONFIG": str(other)}).theme == "y"
    with pytest.raises(ConfigError, match="not found"):
        load_settings(env={"XLTOP_CONFIG": str(tmp_path / "missing.toml")})
    assert load_settings(env={"XDG_CONFIG_HOME": str(tmp_path / "none")}).hosts == ()


@pytest.mark.parametrize(
    ("data", "msg"),
    [
        ({"hosts": [{"target": "x"}]}, "name is required"),
        ({"hosts": [{"name": "a", "accent": "#ff0000"}]}, "accent must be one of"),
        ({"hosts": [{"name": "a", "group": "nope"}]}, "unknown group"),
        ({"hosts": [{"name": "a"}, {"name": "a"}]}, "duplicate host name"),
        ({"hosts": [{"name": "a", "port": 70000}]}, "port must be"),
        ({"hosts": [{"name": "a", "sudo": "yes"}]}, "sudo must be true or false"),
        ({"interval": "lots"}, "interval must be"),
        ({"interval": 0.01}, "0.2-3600"),
        ({"interval": float("inf")}, "interval must be a non-negative number"),
        ({"command_timeout": float("nan")}, "command_timeout must be a non-negative number"),
        ({"connect_timeout": 0}, "connect_timeout must be more than 0"),
        ({"cadence": {"vcpus_s": 0}}, "cadence.vcpus_s must be more than 0"),
        ({"hosts": [{"name": "a", "port": True}]}, "port must be"),
        ({"hosts": [{"name": "a", "tags": [1, {"x": 2}]}]}, "tags must be a list of strings"),
        # a misspelt key is named, not ignored
        ({"intervall": 2}, "unknown key 'intervall'"),
        ({"hosts": [{"name": "a", "targett": "h"}]}, r"hosts\[0\]: unknown key 'targett'"),
        ({"groups": {"prod": {"bannner": "X"}}}, r"\[groups.prod\]: unknown key 'bannner'"),
        ({"cadence": {"vcpu_s": 5}}, r"\[cadence\]: unknown key 'vcpu_s'"),
        ({"hosts": [{"name": "a", "port": "22"}]}, "port must be a whole number 1-65535, not '22'"),
        # a group's bad value is named in its group, where it is written (not in a host)
        ({"groups": {"prod": {"port": "22"}}, "hosts": [{"name": "a", "group": "prod"}]},
         r"\[groups.prod\]: port must be a whole number 1-65535, not '22'"),
        ({"groups": {"prod": {"sudo": 1}}}, r"\[groups.prod\]: sudo must be true or false"),
        # SSH options on a local host would be ignored: said instead
        ({"hosts": [{"name": "a", "target": "local", "port": 22, "key": "~/.ssh/k"}]},
         r'hosts\[0\]: key, port: for SSH, but target is "local"'),
        # a theme that is not a name, a binding id TOML read as a table (no quotes)
        ({"theme": 3}, "theme must be a theme's name"),
        ({"theme": ""}, "theme must be a theme's name"),
        ({"keys": {"domain": {"pause": "z"}}},
         r'\[keys\]: a binding id needs quotes: "domain\.pause" = …, not domain\.pause = …'),
    ],
)
def test_bad_values_name_where_they_are(data: dict, msg: str) -> None:
    with pytest.raises(ConfigError, match=msg):
        settings_from_dict(data)


def test_a_file_saved_with_a_bom_reads(tmp_path: Path) -> None:
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbfinterval = 3\n")
    assert load_settings(p, env={}).interval_s == 3.0


def test_unparseable_file_is_a_config_error(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="bad.toml"):
        load_settings(p, env={})


def test_host_specs() -> None:
    s = settings_from_dict({"hosts": [{"name": "xen1", "target": "root@h"}]})
    assert host_from_spec("xen1", s).target == "root@h"
    assert host_from_spec("root@127.0.0.1:2222").target == "root@127.0.0.1:2222"
    for bad in ["", " x", "-oProxyCommand=x", "a\nb"]:
        with pytest.raises(ConfigError):
            host_from_spec(bad)


def test_a_target_given_on_the_command_line_takes_its_configured_options() -> None:
    s = settings_from_dict({"hosts": [{"name": "lab", "target": "root@127.0.0.1:2222",
                                       "key": "/k", "known_hosts": "/kh"}]})
    hc = host_from_spec("root@127.0.0.1:2222", s)
    assert (hc.name, hc.key, hc.known_hosts) == ("lab", "/k", "/kh")


def test_production_names_are_the_names_and_target_hosts_of_production_hosts() -> None:
    hosts = [HostConfig("xen1", "root@xen1.example:2222", production=True),
             HostConfig("v6", "[fe80::1]:22", production=True),
             HostConfig("alias", "prod-alias", production=True),
             HostConfig("lab", "root@lab1", production=False)]
    assert production_names(hosts) == {"xen1", "xen1.example", "v6", "fe80::1", "alias",
                                       "prod-alias"}


def test_a_port_or_user_given_twice_must_agree() -> None:
    # the config's port = 2222 silently beat the target's :1
    s = Settings()
    for hc, why in [(HostConfig("x", "root@127.0.0.1:1", port=2222), "port = 2222"),
                    (HostConfig("x", "root@h", user="admin"), "user = 'admin'")]:
        with pytest.raises(ConfigError, match=f"host 'x': {why} and the target's"):
            ssh_target(hc, s)
    agreed = ssh_target(HostConfig("x", "root@h:2222", port=2222, user="root"), s)
    assert (agreed.user, agreed.port) == ("root", 2222)
    assert ssh_target(HostConfig("x", "h", port=2200, user="ops"), s).port == 2200


def test_a_host_key_policy_is_passed_on_only_when_given() -> None:
    # given, it wins over ~/.ssh/config's StrictHostKeyChecking; not given, that decides
    s = Settings()
    assert ssh_target(HostConfig("x", "root@h"), s).host_key_policy is None
    for policy in ("strict", "accept-new", "off"):
        hc = HostConfig("x", "root@h", host_key_policy=policy)
        assert ssh_target(hc, s).host_key_policy == policy


def test_another_spelling_of_a_configured_host_keeps_its_safety_flags() -> None:
    # `xltop do root@lab web1 destroy --yes` ran on the host the config marks read-only
    # and production, by naming it otherwise than its name or target
    s = settings_from_dict({"hosts": [
        {"name": "lab", "read_only": True},
        {"name": "xen1", "target": "admin@10.0.0.5:22", "production": True},
        {"name": "free", "target": "root@10.0.0.9"},
    ]})
    for spec in ("root@lab", "lab:2222", "LAB", "lab.", "ops@Lab.:22"):
        hc = host_from_spec(spec, s)
        assert (hc.name, hc.read_only, hc.production) == (spec, True, False)
    for spec in ("root@10.0.0.5", "10.0.0.5:2200", "xen1:22", "root@XEN1"):
        hc = host_from_spec(spec, s)
        assert (hc.read_only, hc.production) == (False, True), spec
    for spec in ("labs", "root@10.0.0.9:22", "local", "10.0.0.50"):
        hc = host_from_spec(spec, s)
        assert (hc.read_only, hc.production) == (False, False), spec
    assert host_from_spec("root@lab").read_only is False  # (no config: nothing to keep)


def test_a_relative_xdg_config_home_is_ignored_as_the_xdg_spec_says() -> None:
    assert default_config_path({"XDG_CONFIG_HOME": "conf"}) == default_config_path({})
    assert default_config_path({"XDG_CONFIG_HOME": "/c"}) == Path("/c/xltop/config.toml")


def test_a_file_that_is_not_utf8_names_the_line_and_column(tmp_path: Path) -> None:
    p = tmp_path / "latin1.toml"
    p.write_bytes(b'interval = 2\n\n  banner = "\xe9t\xe9"\n')  # (Latin-1 "été")
    with pytest.raises(ConfigError) as e:
        load_settings(p, env={})
    assert str(e.value) == (f"{p}: not UTF-8 text: byte 0xe9 at line 3, column 13 "
                            "(save the file as UTF-8)")


def test_a_groups_ssh_options_do_not_stop_a_local_host_of_the_group() -> None:
    s = settings_from_dict({"groups": {"g": {"key": "~/.ssh/k", "sudo": True}},
                            "hosts": [{"name": "a", "target": "local", "group": "g"},
                                      {"name": "b", "group": "g"}]})
    assert [(h.target, h.key, h.sudo) for h in s.hosts] == [
        ("local", "~/.ssh/k", True), ("b", "~/.ssh/k", True)]
