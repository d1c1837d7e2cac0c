"""Textual CSS selects widgets by class name, its own DEFAULT_CSS included: a tui widget
named like one of Textual's (e.g. ``Bar``, ProgressBar's inner bar, ``width: 32``) takes
that widget's styles as soon as Textual loads it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import textual
import textual.widgets
from textual.dom import DOMNode

import tui


def _node_classes(package: object, prefix: str) -> dict[str, type]:
    out: dict[str, type] = {}
    path = package.__path__  # type: ignore[attr-defined]
    for info in pkgutil.walk_packages(path, prefix):
        if info.name.endswith("__main__"):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # another platform's driver, an optional extra
            continue
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, DOMNode) and obj.__module__ == info.name:
                out[name] = obj
    return out


def test_no_tui_widget_is_named_like_a_textual_one() -> None:
    textual_names = set(_node_classes(textual.widgets, "textual.widgets."))
    textual_names |= set(_node_classes(textual, "textual."))
    ours = _node_classes(tui, "tui.")
    assert "Bar" in textual_names  # (the clash this test was written for)
    clashes = sorted(set(ours) & textual_names)
    assert clashes == [], f"rename {clashes}: Textual's CSS for them applies to ours"
