"""A strict reader of the Prometheus text exposition format (0.0.4) for the exporter's
tests: every sample line must follow its family's HELP and TYPE, families must not be
split, a series must not repeat, and label values must use only the format's escapes."""

from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass, field

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
_SAMPLE = re.compile(rf"({_NAME})(\{{.*\}})? (\S+)")
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}

Labels = tuple[tuple[str, str], ...]


@dataclass
class Exposition:
    types: dict[str, str] = field(default_factory=dict)
    helps: dict[str, str] = field(default_factory=dict)
    samples: dict[str, dict[Labels, float]] = field(default_factory=dict)

    def values(self, name: str, **match: str) -> list[float]:
        """Values of ``name``'s samples whose labels include ``match``."""
        want = set(match.items())
        return [v for labels, v in self.samples.get(name, {}).items() if want <= set(labels)]

    def one(self, name: str, **match: str) -> float:
        (v,) = self.values(name, **match)
        return v

    def label_values(self, name: str, label: str) -> set[str]:
        return {dict(labels)[label] for labels in self.samples.get(name, {})}


def parse_labels(text: str) -> Labels:
    assert text.startswith("{") and text.endswith("}"), text
    body, pairs, pos = text[1:-1], [], 0
    while pos < len(body):
        m = _LABEL.match(body, pos)
        assert m is not None, f"bad label at {body[pos:]!r}"
        value = re.sub(r'\\[\\"n]', lambda e: _UNESCAPE[e.group()], m.group(2))
        pairs.append((m.group(1), value))
        pos = m.end()
        if pos < len(body):
            assert body[pos] == ",", f"expected ',' at {body[pos:]!r}"
            pos += 1
    return tuple(pairs)


def parse_exposition(text: str) -> Exposition:
    assert text.endswith("\n")
    out = Exposition()
    current: str | None = None
    done: set[str] = set()
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name, _, help_ = line[7:].partition(" ")
            assert name not in out.helps and name not in done, f"family {name} split or repeated"
            if current is not None:
                done.add(current)
            out.helps[name], current = help_, name
            continue
        if line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert name == current and kind in ("gauge", "counter"), line
            out.types[name] = kind
            continue
        m = _SAMPLE.fullmatch(line)
        assert m is not None, f"not a sample line: {line!r}"
        name, labels_text, value = m.groups()
        assert name == current and name in out.types, f"{name} outside its family"
        labels = parse_labels(labels_text) if labels_text else ()
        series = out.samples.setdefault(name, {})
        assert labels not in series, f"repeated series {name}{labels}"
        series[labels] = float(value)  # Go's ParseFloat takes what float() takes here
    return out


def scrape(url: str, headers: dict[str, str] | None = None, method: str = "GET",
           timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
