"""Building many frozen, slotted dataclass records quickly (the per-tick hot paths).

A frozen dataclass's ``__init__`` sets every field through ``object.__setattr__``, which
looks the attribute up each time: about 2 µs for the 34 fields of a Domain even when the
slot descriptors are called directly. Here the fields are stored on an instance of a
*mutable twin* of the class (same slots, same layout, so plain attribute stores, which
CPython specialises), and the finished object then becomes an instance of the real class
(``__class__`` assignment, allowed between classes of identical layout): the same object
for about a third of the cost. Where the layouts differ (a class with inherited slots, or
another Python) the functions fall back to calling the slot descriptors.

:func:`constructor` builds such a function for a chosen, ordered subset of fields; every
other field gets its declared default, so a field added to the class later keeps working.
:func:`updater` is the same for ``dataclasses.replace`` of a few fields.
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
    given = _checked(cls, names)
    all_fields = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    ns: dict[str, Any] = {}
    values: list[str] = []
    for i, name in enumerate(all_fields):
        f = all_fields[name]
        if name in given:
            values.append(f"v{given.index(name)}")
        elif f.default is not MISSING:
            ns[f"_d{i}"] = f.default
            values.append(f"_d{i}")
        elif f.default_factory is not MISSING:
            ns[f"_f{i}"] = f.default_factory
            values.append(f"_f{i}()")
        else:
            raise TypeError(f"{cls.__name__}.{name} has no default and is not given")
    args = ", ".join(f"v{i}" for i in range(len(given)))
    make: Callable[..., T] = _compile(cls, "make", args, list(all_fields), values, ns)
    make.__doc__ = f"{cls.__name__}({', '.join(given)})"
    return make


def updater(cls: type[T], names: Sequence[str]) -> Callable[..., T]:
    """``update(obj, v1, v2, ...)`` → ``dataclasses.replace(obj, **dict(zip(names, values)))``
    for a slotted dataclass without ``__post_init__``, without going through ``__init__``."""
    given = _checked(cls, names)
    all_names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    values = [f"v{given.index(n)}" if n in given else f"obj.{n}" for n in all_names]
    args = ", ".join(["obj", *(f"v{i}" for i in range(len(given)))])
    update: Callable[..., T] = _compile(cls, "update", args, all_names, values, {})
    return update


def _checked(cls: type, names: Sequence[str]) -> list[str]:
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __post_init__")
    given = list(names)
    all_names = {f.name for f in fields(cls)}
    unknown = [n for n in given if n not in all_names]
    if unknown or len(set(given)) != len(given):
        raise TypeError(f"bad field list for {cls.__name__}: {unknown or given}")
    return given


def _compile(cls: type, fname: str, args: str, names: list[str], values: list[str],
             ns: dict[str, Any]) -> Any:
    """``def fname(args)`` storing ``values[i]`` into field ``names[i]`` of a new ``cls``."""
    twin = _mutable_twin(cls, names)
    ns.update(_new=object.__new__, _cls=cls, _twin=twin)
    if twin is not None:
        body = ["    o = _new(_twin)"]
        body += [f"    o.{n} = {v}" for n, v in zip(names, values, strict=True)]
        body.append("    o.__class__ = _cls")
    else:
        body = ["    o = _new(_cls)"]
        for i, (n, v) in enumerate(zip(names, values, strict=True)):
            ns[f"_s{i}"] = getattr(cls, n).__set__
            body.append(f"    _s{i}(o, {v})")
    src = f"def {fname}({args}):\n" + "\n".join(body) + "\n    return o\n"
    exec(src, ns)  # noqa: S102 - the source is built from field names, not input
    return ns[fname]


def _mutable_twin(cls: type, names: list[str]) -> type | None:
    """A plain class with ``cls``'s slots whose instances may become ``cls`` instances,
    or None when the layouts are not interchangeable here."""
    slots = cls.__dict__.get("__slots__")
    if cls.__bases__ != (object,) or slots is None or sorted(slots) != sorted(names):
        return None
    twin = type(f"_Mutable{cls.__name__}", (), {"__slots__": tuple(slots)})
    try:
        probe: Any = object.__new__(twin)
        probe.__class__ = cls
    except TypeError:
        return None
    return twin
