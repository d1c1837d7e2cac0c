"""The pure keyed diff behind every table update."""

from __future__ import annotations

from rich.text import Text

from tui.table_diff import cell_equal, changed_columns, diff_rows


def test_added_removed_and_changed_cells() -> None:
    old = {"a": ("1", "x"), "b": ("2", "y"), "c": ("3", "z")}
    new = {"b": ("2", "Y"), "c": ("3", "z"), "d": ("4", "w")}
    d = diff_rows(old, new)
    assert d.added == ("d",)
    assert d.removed == ("a",)
    assert dict(d.changed) == {"b": (1,)}
    assert d.changed_cells == 1
    assert not d.empty


def test_identical_tables_give_an_empty_diff() -> None:
    rows = {("h", "n", None): ("1", Text("● running", style="bold"))}
    same = {("h", "n", None): ("1", Text("● running", style="bold"))}
    assert diff_rows(rows, same).empty


def test_style_only_change_is_a_change() -> None:
    assert not cell_equal(Text("x", style="bold"), Text("x", style="italic"))
    a = Text("ab")
    a.stylize("bold", 0, 1)
    b = Text("ab")
    b.stylize("bold", 1, 2)
    assert changed_columns((a,), (b,)) == (0,)


def test_str_and_text_with_same_letters_differ() -> None:
    assert not cell_equal("x", Text("x"))


def test_row_length_change_marks_extra_cells() -> None:
    assert changed_columns(("a", "b"), ("a", "b", "c")) == (2,)
    assert changed_columns(("a", "b", "c"), ("a",)) == (1, 2)


def test_order_of_added_follows_new_mapping() -> None:
    d = diff_rows({}, {"z": ("1",), "a": ("2",)})
    assert d.added == ("z", "a")
