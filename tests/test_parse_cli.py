"""`xltop parse KIND [FILE]` run as `python -m collectors.parse.cli`, on files and stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from collectors.parse.cli import KINDS, main, parse_to_json
from collectors.parse.common import ParseError

FIX = Path("/work/shared/fixtures")
DATA = Path(__file__).parent / "data" / "parse"
ROOT = Path(__file__).resolve().parents[1]
needs_fixtures = pytest.mark.skipif(not FIX.is_dir(), reason="shared fixtures not present")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collectors.parse.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


@needs_fixtures
def test_xl_list_file() -> None:
    p = run("xl-list", str(FIX / "xen-4.17-lab-a" / "xl-list-v.out"))
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert rows[1] == {
        "name": "db1",
        "domid": 1,
        "mem_mib": 96,
        "vcpus": 1,
        "state": "---sc-",
        "cpu_time_s": 5.6,
        "uuid": "4d58f3d6-b896-4cf4-a54e-786034f4d24d",
        "reason_code": "3",
        "security_label": None,
    }
    assert p.stdout.startswith("[\n  {")  # indent 2


@needs_fixtures
def test_xentop_from_stdin() -> None:
    text = (FIX / "xen-4.17-lab-b" / "xentop-b-full.out").read_text()
    p = run("xentop", stdin=text)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert list(out) == ["frames"] and len(out["frames"]) == 2
    web1 = [d for d in out["frames"][1] if d["name"] == "web1"][0]
    assert web1["vbd_devices"][0]["devid"] == 51712 and web1["vbd_devices"][0]["rd"] == 3
    dash = run("xentop", "-", stdin=text)
    assert json.loads(dash.stdout) == out


@needs_fixtures
def test_vcpu_info_xenstore_kinds() -> None:
    v = json.loads(run("xl-vcpu-list", str(FIX / "xen-4.17-lab-a" / "xl-vcpu-list.out")).stdout)
    assert v[2]["cpu"] is None and v[2]["state"] == "--p" and v[0]["soft_affinity"] == "all"
    info = json.loads(run("xm-info", str(DATA / "xm-info.out")).stdout)
    assert info["node_to_cpu"] == "node0:0-3\nnode1:4-7" and isinstance(info["nr_cpus"], str)
    xs = json.loads(run("xenstore-ls", str(FIX / "xen-4.17-lab-a" / "xenstore-ls-f.out")).stdout)
    assert xs["/libxl/1/device/vbd/51712/dev"] == "xvda"
    xm = json.loads(run("xm-list", str(DATA / "xm-list.out")).stdout)
    assert xm[-1]["domid"] is None and xm[-1]["state"] is None


def test_parse_error_exit_1_and_unknown_kind_exit_2() -> None:
    p = run("xl-list", stdin="Domain-0 zero\n")
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.startswith("xltop parse: xl list line 1:")
    for kind, source in (("xm-list", "xm list"), ("xm-vcpu-list", "xm vcpu-list"),
                         ("xm-info", "xm info")):  # named as the user named the output
        p = run(kind, stdin="Domain-0 zero\n")
        assert p.returncode == 1 and p.stderr.startswith(f"xltop parse: {source} line 1:")
    p = run("no-such-kind", stdin="")
    assert p.returncode == 2 and "usage: xltop parse KIND [FILE]" in p.stderr
    p = run()
    assert p.returncode == 2 and "usage" in p.stderr
    p = run("xl-list", "/nonexistent/file")
    assert p.returncode == 1 and p.stderr.startswith("xltop parse:")
    # text that is no ring dump and no blkback counters at all is an error too
    p = run("ring-dump", stdin="hello world\n")
    assert p.returncode == 1 and p.stderr.startswith("xltop parse: ring dump: no '==> path")
    p = run("blkback", stdin="hello world\nfoo bar\n")
    assert p.returncode == 1 and "no 'name: value' counter line" in p.stderr


def test_main_in_process_and_every_kind_on_empty_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "xl-list", str(DATA / "lab-xl-list-c.out")]) == 0
    assert json.loads(capsys.readouterr().out)[0]["cpupool"] == "Pool-0"
    assert main(["--help"]) == 0 and "KIND" in capsys.readouterr().out
    empty = {kind: parse_to_json(kind, "") for kind in KINDS if kind != "netback"}
    assert empty["xentop"] == {"frames": []} and empty["xl-info"] == {} and empty["xl-list"] == []
    assert all(v in ([], {}, {"frames": []}) for k, v in empty.items() if k != "ring-dump")
    with pytest.raises(ParseError):  # an empty io_ring file says nothing: not a queue
        parse_to_json("netback", "")
    assert parse_to_json("xl-list-l", "[\n\n]\n") == []
    dump: Any = parse_to_json("ring-dump", (DATA / "lab-ring-files.out").read_text())
    assert dump["errors"] == [] and len(dump["netback"]) == 3


def test_xenstore_ls_subtree_and_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    # a subtree listed without -f: paths hang under "/" (the listed path is not printed);
    # raw bytes that are not UTF-8 (Xen 3.x printed values raw) and \\xHH escapes of such
    # bytes both come out as U+FFFD, in the JSON as they are
    f = tmp_path / "xs.out"
    f.write_bytes(b'memory = ""\n target = "524288"\nname = "caf\xe9"\nesc = "\\xff!"\n')
    p = run("xenstore-ls", str(f))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {
        "/memory": "", "/memory/target": "524288", "/name": "caf\ufffd", "/esc": "\ufffd!",
    }  # fmt: skip
    flat = b'/local/domain/1/name = "g\xff1"   (n0,r1)\n'
    cmd = [sys.executable, "-m", "collectors.parse.cli", "xenstore-ls"]
    p2 = subprocess.run(cmd, input=flat, capture_output=True, cwd=ROOT, timeout=60)
    assert json.loads(p2.stdout) == {"/local/domain/1/name": "g\ufffd1"}


@needs_fixtures
@pytest.mark.parametrize("kind, name", [("xl-list", "xl-list"), ("xl-vcpu-list", "xl-vcpu-list"),
                                        ("xentop", "xentop-b-full"), ("xl-info", "xl-info"),
                                        ("xenstore-ls", "xenstore-ls-f")])  # fmt: skip
def test_captures_saved_on_windows_with_a_byte_order_mark(
    kind: str, name: str, tmp_path: Path
) -> None:
    # Notepad saves UTF-8 with a BOM, Windows PowerShell's ">" writes UTF-16LE with one,
    # both with CRLF: the BOM says how the text is encoded and is not text of the output
    text = (FIX / "xen-4.17-lab-b" / f"{name}.out").read_text()
    want = run(kind, stdin=text)
    assert want.returncode == 0, want.stderr
    crlf = text.replace("\n", "\r\n")
    for i, data in enumerate([b"\xef\xbb\xbf" + crlf.encode(), crlf.encode("utf-16")]):
        f = tmp_path / f"capture{i}.out"
        f.write_bytes(data)
        p = run(kind, str(f))
        assert (p.returncode, p.stderr, p.stdout) == (0, "", want.stdout)
        cmd = [sys.executable, "-m", "collectors.parse.cli", kind]
        piped = subprocess.run(cmd, input=data, capture_output=True, cwd=ROOT, timeout=60)
        assert (piped.returncode, piped.stdout.decode()) == (0, want.stdout)


ONLY_MESSAGES = {
    "xl's refusal": "nosuchdomain is an invalid domain identifier (rc=-6)\n",
    "no hypervisor": "xencall: error: Could not obtain handle on privileged command interface:"
                     " No such file or directory\nlibxl: error: libxl.c:102:libxl_ctx_alloc:"
                     " cannot open libxc handle: No such file or directory\n",
    "the console": "\n(XEN) Xen version 4.17.5\n(XEN) Command line: placeholder\n",
}


@pytest.mark.parametrize("kind", ["xl-list", "xl-vcpu-list", "xentop", "xl-info",
                                  "xenstore-ls"])
@pytest.mark.parametrize("what", list(ONLY_MESSAGES))
def test_tool_messages_alone_are_not_an_empty_output(kind: str, what: str) -> None:
    # unknown is not "no domains": every line skipped as a message means this is not the
    # command's output, and the first such line is named
    text = ONLY_MESSAGES[what]
    with pytest.raises(ParseError) as e:
        parse_to_json(kind, text)
    first = next(i for i, line in enumerate(text.split("\n"), 1) if line)
    assert (e.value.line_no, "only tools' messages here") == (first, e.value.reason[:25])
    assert parse_to_json(kind, "") in ([], {}, {"frames": []})  # nothing at all: nothing


@needs_fixtures
@pytest.mark.parametrize(("kind", "name"), [("xl-list", "xl-list"), ("xl-info", "xl-info"),
                                            ("xl-vcpu-list", "xl-vcpu-list"),
                                            ("xentop", "xentop-b-full"),
                                            ("xenstore-ls", "xenstore-ls-f")])
def test_tool_messages_around_real_output_are_skipped(kind: str, name: str) -> None:
    text = (FIX / "xen-4.17-lab-b" / f"{name}.out").read_text()
    noisy = ONLY_MESSAGES["no hypervisor"] + text + ONLY_MESSAGES["the console"]
    assert parse_to_json(kind, noisy) == parse_to_json(kind, text) not in ([], {})


@needs_fixtures
def test_an_error_capture_alone_exits_1() -> None:
    p = run("xl-list", str(FIX / "xen-4.17-lab-a" / "xl-list-unknown.err"))
    assert p.returncode == 1 and p.stdout == ""
    assert "xl list line 1: only tools' messages here, no header or domain row" in p.stderr
    # after the header, the same message is the stderr of a command that found nothing
    p = run("xl-vcpu-list", stdin="Name  ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)\n"
            "nosuch is an invalid domain identifier (rc=-6)\n")
    assert (p.returncode, json.loads(p.stdout)) == (0, [])


def test_an_output_that_cannot_take_a_name_gets_it_as_a_json_escape() -> None:
    text = ("Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
            "caf\u00e9                                         3   512     1     -b----"
            "       1.5\n")
    r = subprocess.run([sys.executable, "-m", "collectors.parse.cli", "xl-list"],
                       input=text.encode(), capture_output=True, cwd=ROOT, timeout=60,
                       env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert (r.returncode, r.stderr) == (0, b"")
    assert b'"caf\\u00e9"' in r.stdout
    assert [row["name"] for row in json.loads(r.stdout)] == ["caf\u00e9"]
