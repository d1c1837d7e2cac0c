"""The Domains filter language."""

from __future__ import annotations

import time

import pytest

from collectors.config import HostConfig
from collectors.model import Domain, DomainState, DomainType
from tui import domain_filter
from tui.domain_filter import no_match_message, parse_filter, state_matches
from tui.regex_guard import may_backtrack

PROD = HostConfig(name="xen-prod-1", target="x", group="prod", tags=("rack1",))
LAB = HostConfig(name="xen-lab-2", target="y", group="lab")
WEB = Domain(host="xen-prod-1", domid=5, name="web-01", uuid="abcd-1234",
             type=DomainType.HVM, state=DomainState(running=True))
DB = Domain(host="xen-lab-2", domid=7, name="db-01", type=DomainType.PV,
            state=DomainState(paused=True))
DEAD = Domain(host="xen-lab-2", domid=8, name="old", type=DomainType.PVH,
              state=DomainState(shutdown=True, crashed=True, shutdown_reason="crash"))
ALL = [(WEB, PROD), (DB, LAB), (DEAD, LAB)]


def names(text: str) -> list[str]:
    f = parse_filter(text)
    return [d.name for d, h in ALL if f.matches(d, h)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["web-01", "db-01", "old"]),
        ("web", ["web-01"]),
        ("WEB", ["web-01"]),
        ("-01", ["web-01", "db-01"]),
        ("^d.*1$", ["db-01"]),
        ("abcd", ["web-01"]),  # uuid prefix
        ("state:p", ["db-01"]),
        ("state:r,p", ["web-01", "db-01"]),
        ("state:rp", ["web-01", "db-01"]),
        ("state:c", ["old"]),
        ("state:crashed", ["old"]),
        ("state:paused", ["db-01"]),
        ("host:lab", ["db-01", "old"]),
        ("host:=xen-lab-2", ["db-01", "old"]),
        ("host:=xen-lab", []),
        ("type:hvm", ["web-01"]),
        ("type:pv", ["db-01"]),
        ("group:prod", ["web-01"]),
        ("tag:rack1", ["web-01"]),
        ("id:7", ["db-01"]),
        ("!state:p host:lab", ["old"]),
        ("host:lab 01", ["db-01"]),
        ("name:old,web", ["web-01", "old"]),
    ],
)
def test_filters(text: str, expected: list[str]) -> None:
    assert names(text) == expected


def test_bad_regex_matches_literally_and_says_so() -> None:
    f = parse_filter("web[")
    assert f.problems and "regex" in f.problems[0]
    weird = Domain(host="h", domid=1, name="web[1")
    assert f.matches(weird, None)
    assert not f.matches(WEB, PROD)


def test_bad_state_and_id_are_reported_not_crashing() -> None:
    assert parse_filter("state:x").problems
    assert parse_filter("id:abc").problems
    assert parse_filter("host:").problems


@pytest.mark.parametrize(
    ("text", "expected", "problem"),
    [
        # the valid values of a term still apply; the others are named
        ("state:paused,zz", ["db-01"],
         "unknown state 'zz' (use r b p s c d or a word): ignored"),
        ("id:7,x", ["db-01"], "id: 'x' is not a number: ignored"),
        # a term with no valid value matches nothing, not everything
        ("state:runing", [], "unknown state 'runing' (use r b p s c d or a word): "
                             "nothing matches"),
        ("state:zz,yy", [], "unknown states 'zz', 'yy' (use r b p s c d or a word): "
                            "nothing matches"),
        ("id:abc", [], "id: 'abc' is not a number: nothing matches"),
        ("type:hvm,hv", ["web-01"], "unknown type 'hv' (use pv, hvm or pvh): ignored"),
        ("type:xyz", [], "unknown type 'xyz' (use pv, hvm or pvh): nothing matches"),
        ("type:HVM", ["web-01"], None),
        ("id:+7", [], "id: '+7' is not a number: nothing matches"),
        ("!state:runing", ["web-01", "db-01", "old"],
         "unknown state 'runing' (use r b p s c d or a word): nothing matches"),
    ],
)
def test_unknown_values_of_a_term_are_named_and_the_rest_applies(
        text: str, expected: list[str], problem: str | None) -> None:
    assert names(text) == expected
    assert parse_filter(text).problems == ((problem,) if problem else ())


def test_hostile_filter_text_is_just_text() -> None:
    f = parse_filter("$(reboot) [red]")
    assert f.active
    assert not f.matches(WEB, PROD)
    # both terms must match: each as text or as the regex it also is
    assert f.matches(Domain(host="h", domid=1, name="x$(reboot)-[red]"), None) is True
    assert f.matches(Domain(host="h", domid=1, name="$(rebo0t)"), None) is False


def test_runnable_word() -> None:
    assert state_matches(DomainState(), "runnable")
    assert not state_matches(DomainState(blocked=True), "runnable")


def test_a_state_word_is_the_label_shown_and_a_letter_the_flag() -> None:
    dying_paused = DomainState(paused=True, dying=True)
    paused_running = DomainState(running=True, paused=True)  # xl list: r-p---
    crashed = DomainState(shutdown=True, crashed=True, shutdown_reason="crash")
    # the word is what the State column shows
    assert not state_matches(dying_paused, "paused") and state_matches(dying_paused, "dying")
    assert state_matches(paused_running, "paused") and not state_matches(paused_running,
                                                                          "running")
    assert state_matches(crashed, "crashed") and not state_matches(crashed, "shutdown")
    # a letter is xl's flag: any domain that has it
    assert state_matches(dying_paused, "p") and state_matches(paused_running, "r")
    assert state_matches(crashed, "s") and state_matches(crashed, "c")


def test_no_match_message_points_a_host_word_to_host() -> None:
    hosts = ["xen-prod-01", "xen-lab-02"]
    assert no_match_message(parse_filter("PROD"), hosts) == (
        "no domain matches; 'PROD' is in a host's name: try host:PROD")
    # keyed and negated terms are what the user meant; a word in no host name: the syntax
    for text in ("host:prod", "!prod", "webserver"):
        assert no_match_message(parse_filter(text), hosts).startswith(
            "no domain matches (words match domain names and UUIDs; host:")


def test_an_empty_result_says_which_term_explains_it() -> None:
    hosts = ["xen-prod-01", "xen-lab-02"]
    assert no_match_message(parse_filter("host:nosuch"), hosts) == (
        "no host matches 'nosuch' (host: matches part of a host's name, host:= all of it)")
    assert no_match_message(parse_filter("web host:=xen-lab,nope"), hosts).startswith(
        "no host matches '=xen-lab,nope'")
    assert no_match_message(parse_filter("type:hv"), hosts) == (
        "no domain matches: unknown type 'hv' (use pv, hvm or pvh): nothing matches")
    assert no_match_message(parse_filter("state:runing"), hosts) == (
        "no domain matches: unknown state 'runing' (use r b p s c d or a word): "
        "nothing matches")
    # a host that matches (the domains do not): the usual message
    assert no_match_message(parse_filter("host:lab zzz"), hosts).startswith(
        "no domain matches (words match")
    assert no_match_message(parse_filter("!host:nosuch zzz"), hosts).startswith(
        "no domain matches (words match")


def test_a_hostile_name_is_found_by_typing_it() -> None:
    # regex characters make a term a regex, which would not find these names themselves
    hostile = [Domain(host="h", domid=i, name=n)
               for i, n in enumerate(["$(reboot)", "[red]x", "x+y", "plain"], start=1)]
    for name in ("$(reboot)", "[red]x", "x+y"):
        f = parse_filter(name)
        assert [d.name for d in hostile if f.matches(d, None)] == [name]
    f = parse_filter("^p.*n$")  # still a regex
    assert [d.name for d in hostile if f.matches(d, None)] == ["plain"]


def test_an_unknown_key_is_named_and_matched_as_text() -> None:
    f = parse_filter("mem:big")
    assert f.problems == ("mem: is not a filter key (keys: state: host: type: group: tag: id: "
                          "name:); matching 'mem:big' as text",)
    assert f.matches(Domain(host="h", domid=1, name="mem:big-1"), None)
    assert not f.matches(WEB, PROD)
    assert parse_filter("web").problems == ()


def test_a_name_is_found_by_what_the_screen_shows_of_it() -> None:
    esc = Domain(host="h", domid=1, name="evil\x1b[2Jname")
    rtl = Domain(host="h", domid=2, name="\u202eevil-rtl")
    # shown as evil\x1b[2Jname and \u202eevil-rtl: typing that finds them
    assert parse_filter("evil\\x1b[2Jname").matches(esc, None)  # (a bad regex: as text)
    assert parse_filter("x1b").matches(esc, None) and parse_filter("u202e").matches(rtl, None)
    assert not parse_filter("x1b").matches(rtl, None)


def test_a_regex_that_backtracks_for_ages_gives_up_and_says_so() -> None:
    # (a|aa)+$ on 'a'*30+'b' takes Python's re about a second per name: the UI loop froze
    doms = [Domain(host="h", domid=i, name="a" * 30 + f"b{i}") for i in range(8)]
    f = parse_filter("(a|aa)+$")
    f.start_pass()
    t0 = time.perf_counter()
    assert not any(f.matches(d, None) for d in doms)
    assert time.perf_counter() - t0 < 2.0
    assert f.problems == ("regex too slow, matched as text: (a|aa)+$",)
    assert parse_filter("aaa|x").matches(doms[0], None)  # a fresh filter starts again


def test_a_fast_regex_keeps_matching_pass_after_pass() -> None:
    doms = [Domain(host="h", domid=i, name=f"db-{i:04d}") for i in range(1000)]
    f = parse_filter("^db-0[0-9]*1$")
    for _ in range(100):  # ~0.3 s in all: more than one pass's budget, spent over 100
        f.start_pass()
        assert sum(f.matches(d, None) for d in doms) == 100
    assert f.problems == ()


@pytest.mark.parametrize("term", ["x{10000000}", "(x{3000}){1000}", "(x{65535}){65535}",
                                  "a{99999999999}"])
def test_a_regex_that_repeats_too_much_is_not_compiled(term: str) -> None:
    # the regex module compiles counted repeats out: x{10000000} took 3.4 s and 2.6 GB
    t0 = time.perf_counter()
    f = parse_filter(term)
    assert time.perf_counter() - t0 < 0.5
    assert f.problems == (f"regex repeats too much, matched as text: {term}",)
    assert not f.matches(Domain(host="h", domid=1, name="xxxx"), None)


def test_counted_repeats_within_reason_are_regexes() -> None:
    f = parse_filter("^x{3}-[0-9]{1,2}$")
    assert f.problems == ()
    assert f.matches(Domain(host="h", domid=1, name="xxx-42"), None)
    assert not f.matches(Domain(host="h", domid=1, name="xx-42"), None)


def test_the_uuid_search_gets_what_is_left_of_the_budget(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(domain_filter, "REGEX_PASS_BUDGET_S", 0.5)
    slow = "a" * 30 + "!"
    d = Domain(host="h", domid=1, name=slow, uuid=slow)
    f = parse_filter("(a|aa)+$")
    f.start_pass()
    t0 = time.perf_counter()
    assert not f.matches(d, None)
    assert time.perf_counter() - t0 < 0.8  # one budget, not one per field (1.0 s)
    assert f.problems


def test_a_bad_regex_says_why_then_the_term_as_typed() -> None:
    # reason first (the bar is cut at 80 columns), the term without repr's doubled '\'
    f = parse_filter(r"web\d(")
    assert f.problems == (r"bad regex (missing ) at position 6), matched as text: web\d(",)


@pytest.mark.parametrize("term", ["^web", "db[0-9]+$", "^vm-1.*1$", ".*x.*y", "a{3}b?",
                                  "(web|db)-[0-9]+", "^(?:ab)c?$"])
def test_a_regex_of_a_bounded_shape_runs_on_re(term: str) -> None:
    # re is ten times cheaper per search than the regex module with a timeout (5,000
    # domains: 4 ms a pass, not 46)
    assert not may_backtrack(term)
    f = parse_filter(term)
    assert f.active and f.patterns == () and f.problems == ()


@pytest.mark.parametrize("term", [r"(a|aa)+$", r"(a+)+$", r"(.|..)*\d", r"(a*)*b",
                                  r".*.*.*z", r"(a)\1", r"\p{L}+"])
def test_a_regex_that_may_backtrack_runs_guarded(term: str) -> None:
    assert may_backtrack(term)
    assert len(parse_filter(term).patterns) == 1


def test_a_regex_re_cannot_compile_runs_on_the_regex_module() -> None:
    f = parse_filter("(?<=a+)b")  # a look-behind of no fixed width: re refuses it
    assert len(f.patterns) == 1 and f.problems == ()
    assert f.matches(Domain(host="h", domid=1, name="aab"), None)
