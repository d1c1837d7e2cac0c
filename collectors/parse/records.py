"""Building many frozen, slotted dataclass records quickly (the per-tick hot paths).

A frozen dataclass's ``__init__`` sets every field through ``object.__setattr__``, which
looks the attribute up each time: about 4 µs for the 33 fields of a Domain. Calling the
slot descriptors directly gives the same object for about half that. :func:`constructor`
builds such a function for a chosen, ordered subset of fields; every other field gets
its declared default, so a field added to the class later keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import MISSING, fields
from typing import Any, TypeVar

T = TypeVar("T")


def constructor(cls: type[T], names: Sequence[str]) -> Callable[..., T]:
    """``make(v1, v2, ...)`` → ``cls(**dict(zip(names, values)))``, without ``__init__``.

    Only for dataclasses with ``slots=True`` and no ``__post_init__``.
    """
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __post_init__")
    given = list(names)
    all_fields = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    unknown = [n for n in given if n not in all_fields]
    if unknown or len(set(given)) != len(given):
        raise TypeError(f"bad field list for {cls.__name__}: {unknown or given}")
    ns: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    body = ["    o = _new(_cls)"]
    for i, name in enumerate(all_fields):
        ns[f"_s{i}"] = getattr(cls, name).__set__
        f = all_fields[name]
        if name in given:
            value = f"v{given.index(name)}"
        elif f.default is not MISSING:
            ns[f"_d{i}"] = f.default
            value = f"_d{i}"
        elif f.default_factory is not MISSING:
            ns[f"_f{i}"] = f.default_factory
            value = f"_f{i}()"
        else:
            raise TypeError(f"{cls.__name__}.{name} has no default and is not given")
        body.append(f"    _s{i}(o, {value})")
    args = ", ".join(f"v{i}" for i in range(len(given)))
    src = f"def make({args}):\n" + "\n".join(body) + "\n    return o\n"
    exec(src, ns)  # noqa: S102 - the source is built from field names, not input
    make: Callable[..., T] = ns["make"]
    make.__doc__ = f"{cls.__name__}({', '.join(given)})"
    return make


def updater(cls: type[T], names: Sequence[str]) -> Callable[..., T]:
    """``update(obj, v1, v2, ...)`` → ``dataclasses.replace(obj, **dict(zip(names, values)))``
    for a slotted dataclass without ``__post_init__``, without going through ``__init__``."""
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __post_init__")
    given = list(names)
    all_names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    if any(n not in all_names for n in given) or len(set(given)) != len(given):
        raise TypeError(f"bad field list for {cls.__name__}: {given}")
    ns: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    body = ["    o = _new(_cls)"]
    for i, name in enumerate(all_names):
        ns[f"_s{i}"] = getattr(cls, name).__set__
        value = f"v{given.index(name)}" if name in given else f"obj.{name}"
        body.append(f"    _s{i}(o, {value})")
    args = ", ".join(["obj", *(f"v{i}" for i in range(len(given)))])
    src = f"def update({args}):\n" + "\n".join(body) + "\n    return o\n"
    exec(src, ns)  # noqa: S102 - the source is built from field names, not input
    update: Callable[..., T] = ns["update"]
    return update
