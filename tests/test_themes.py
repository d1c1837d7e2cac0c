"""Theme files: all shipped themes load, carry every domain variable, and bad files fail
with a message that names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color

from themes import REQUIRED_VARIABLES, ThemeError, builtin_themes, load_themes, theme_from_toml

SHIPPED = {"xltop-dark", "xltop-light", "xltop-high-contrast", "xltop-colorblind", "xltop-mono"}


def test_shipped_themes_are_complete() -> None:
    themes = builtin_themes()
    assert set(themes) >= SHIPPED
    for t in themes.values():
        for var in REQUIRED_VARIABLES:
            Color.parse(t.variables[var])
    assert not themes["xltop-light"].dark
    assert themes["xltop-dark"].dark


def test_colorblind_theme_uses_okabe_ito() -> None:
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    t = builtin_themes()["xltop-colorblind"]
    states = {t.variables[f"state-{s}"] for s in ("running", "paused", "crashed", "runnable")}
    assert states <= okabe_ito


def test_state_colours_are_distinct_in_colour_themes() -> None:
    for name in SHIPPED - {"xltop-mono"}:
        t = builtin_themes()[name]
        states = [t.variables[f"state-{s}"] for s in ("running", "paused", "crashed", "blocked")]
        assert len(set(states)) == 4, name


def test_high_contrast_text_is_white_on_black() -> None:
    t = builtin_themes()["xltop-high-contrast"]
    assert Color.parse(t.background or "").brightness == 0
    assert Color.parse(t.foreground or "").brightness == 1


def _theme(extra: str = "", variables: bool = True) -> str:
    body = 'name = "t"\n[colors]\nprimary = "#112233"\n' + extra
    if variables:
        body += "[variables]\n" + "".join(f'{v} = "#000000"\n' for v in REQUIRED_VARIABLES)
    return body


def test_missing_variables_are_named() -> None:
    with pytest.raises(ThemeError, match="state-running"):
        theme_from_toml(_theme(variables=False), "my.toml")


def test_bad_colour_is_named() -> None:
    text = _theme().replace('primary = "#112233"', 'primary = "notacolour"')
    with pytest.raises(ThemeError, match=r"my\.toml: colors\.primary"):
        theme_from_toml(text, "my.toml")


def test_unknown_base_colour_and_bad_toml() -> None:
    with pytest.raises(ThemeError, match="unknown colour"):
        theme_from_toml(_theme('tertiary = "#000000"\n'), "x")
    with pytest.raises(ThemeError, match="x:"):
        theme_from_toml("name = ", "x")


def test_user_themes_override_and_broken_ones_are_reported(tmp_path: Path) -> None:
    good = _theme().replace('name = "t"', 'name = "xltop-dark"')
    (tmp_path / "mine.toml").write_text(good)
    (tmp_path / "broken.toml").write_text("name = 1")
    themes, errors = load_themes([tmp_path, tmp_path / "missing"])
    assert themes["xltop-dark"].primary == "#112233"
    assert len(errors) == 1 and "broken.toml" in errors[0]


def test_theme_files_ship_inside_the_package() -> None:
    import themes as pkg

    files = sorted(p.name for p in Path(pkg.__file__).parent.glob("*.toml"))
    assert {f"{n}.toml" for n in SHIPPED} <= set(files)


def test_theme_names_spelt_either_way() -> None:
    from themes import resolve_theme

    names = ["xltop-dark", "xltop-light", "xltop-colorblind", "xltop-high-contrast"]
    for given, want in (("light", "xltop-light"), ("colour-blind", "xltop-colorblind"),
                        ("Colorblind", "xltop-colorblind"), ("color blind", "xltop-colorblind"),
                        ("high contrast", "xltop-high-contrast"), ("xltop-dark", "xltop-dark")):
        assert resolve_theme(given, names) == want, given
    assert resolve_theme("neon", names) is None
