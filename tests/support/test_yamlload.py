"""Safe YAML loading: lines for every key, duplicate keys and alias bombs refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govgate.support.errors import InputError
from govgate.support.yamlload import load_yaml_file, load_yaml_text


def test_lines_point_at_keys_and_list_items() -> None:
    loaded = load_yaml_text("a: 1\nitems:\n  - name: x\n    on: true\n  - name: y\n", "f.yaml")
    assert loaded.data == {"a": 1, "items": [{"name": "x", "on": True}, {"name": "y"}]}
    assert loaded.lines["/a"] == 1
    assert loaded.lines["/items/0/on"] == 4
    assert loaded.lines["/items/1"] == 5
    assert loaded.line_of("/items/1/missing") == 5


def test_dates_stay_strings_so_data_is_json() -> None:
    loaded = load_yaml_text("approved: 2026-03-01\nat: 2026-03-01T10:00:00Z\n", "f.yaml")
    assert loaded.data == {"approved": "2026-03-01", "at": "2026-03-01T10:00:00Z"}


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("010", "010"),  # YAML 1.1: 8
        ("1:30", "1:30"),  # YAML 1.1: 90
        ("190:20:30.15", "190:20:30.15"),  # YAML 1.1: a float
        ("1_000", "1_000"),  # YAML 1.1: 1000
        ("0b101", "0b101"),  # YAML 1.1: 5
        ("yes", "yes"),
        ("No", "No"),
        ("on", "on"),
        ("OFF", "OFF"),
        ("y", "y"),
        ("true", True),
        ("False", False),
        ("0", 0),
        ("-12", -12),
        ("0o17", 15),
        ("0x1F", 31),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("~", None),
    ],
)
def test_plain_values_are_read_as_yaml_1_2_core_reads_them(written: str, read: object) -> None:
    loaded = load_yaml_text(f"value: {written}\n{written}: key\n", "f.yaml")

    assert loaded.data["value"] == read and type(loaded.data["value"]) is type(read)
    if isinstance(read, str):  # a key is read the same way: `on:` stays the text "on"
        assert loaded.data[written] == "key"


def test_duplicate_key_is_an_error_naming_both_lines() -> None:
    with pytest.raises(InputError) as info:
        load_yaml_text("a: 1\nb: 2\na: 3\n", "dup.yaml")
    assert str(info.value) == "dup.yaml:3: duplicate key 'a' (first at line 1); keep one of them"


def test_alias_bomb_is_refused_before_expansion() -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        prev = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        bomb.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(InputError) as info:
        load_yaml_text("\n".join(bomb) + "\n", "bomb.yaml")
    assert "through aliases" in str(info.value)
    assert str(info.value).startswith("bomb.yaml:")


def test_syntax_error_names_line() -> None:
    with pytest.raises(InputError) as info:
        load_yaml_text("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml")
    assert str(info.value).startswith("bad.yaml:")
    assert "invalid YAML" in str(info.value)


def test_bom_is_ignored_and_invalid_utf8_named(tmp_path: Path) -> None:
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbfkey: value\n")
    assert load_yaml_file(bom).data == {"key": "value"}
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(InputError) as info:
        load_yaml_file(latin, display="latin.yaml")
    assert str(info.value) == "latin.yaml:2: not valid UTF-8; save the file as UTF-8"


def test_nul_byte_and_missing_file(tmp_path: Path) -> None:
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"a: 1\nb: \x00\n")
    with pytest.raises(InputError, match=r"nul.yaml:2: contains a NUL byte"):
        load_yaml_file(nul, display="nul.yaml")
    with pytest.raises(InputError, match="file not found"):
        load_yaml_file(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("text", "line", "named"),
    [
        ("a: 1\nnote: red \x1b[31m\n", 2, "U+001B (ESC) is not allowed in YAML"),
        ("a: ééé\nb: \x07\n", 2, "U+0007 (BEL) is not allowed in YAML"),  # bytes ≠ characters
    ],
)
def test_a_control_character_is_named_with_its_line(text: str, line: int, named: str) -> None:
    with pytest.raises(InputError) as refused:
        load_yaml_text(text, "govgate.yaml")
    assert refused.value.line == line
    assert named in refused.value.message and "position" not in str(refused.value)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: " + "1" * 5000 + "\n", 2),
        ("{a: [1, -" + "2" * 4400 + "]}", 1),
        ("a: 1\nb: 0x" + "f" * 4000 + "\n", 2),  # read without the limit, but never writable
    ],
)
def test_an_integer_too_long_for_python_is_named_with_its_line(text: str, line: int) -> None:
    with pytest.raises(InputError) as refused:
        load_yaml_text(text, "cfg.yaml")
    assert (refused.value.path, refused.value.line) == ("cfg.yaml", line)
    assert "digits is longer than can be read (4300); quote it" in refused.value.message
    assert load_yaml_text("n: " + "9" * 4300 + "\n", "cfg.yaml").data["n"] > 0  # at the limit


# -- the parsed-file cache -----------------------------------------------------------------------

CONFIG = "system:\n  name: s\n  risk: high\npacks: [gdpr]\n"


def test_an_unchanged_file_is_read_back_instead_of_parsed(
    monkeypatch: pytest.MonkeyPatch, _isolated_cache_key: Path
) -> None:
    import govgate.support.yamlload as yamlload
    from govgate.support.cachekey import load_key

    key = load_key()
    first = yamlload.load_yaml_cached(CONFIG, "govgate.yaml", key, "v1")

    def refuse(text: str, path: str) -> Any:
        raise AssertionError("parsed although the parse was cached")

    monkeypatch.setattr(yamlload, "load_yaml_text", refuse)
    again = yamlload.load_yaml_cached(CONFIG, "govgate.yaml", key, "v1")

    assert (again.data, again.lines, again.path) == (first.data, first.lines, "govgate.yaml")
    assert again.data == {"system": {"name": "s", "risk": "high"}, "packs": ["gdpr"]}
    assert again.line_of("/system/risk") == 3


def test_an_edited_or_foreign_entry_is_parsed_again(_isolated_cache_key: Path) -> None:
    """An entry whose body was edited (its tag kept), or one another key signed, decides
    nothing: the file is parsed as written."""
    from govgate.support.cachekey import CacheKey, load_key
    from govgate.support.yamlload import _PURPOSE, load_yaml_cached

    key = load_key()
    assert key is not None
    load_yaml_cached(CONFIG, "govgate.yaml", key, "v1")
    (entry,) = (_isolated_cache_key / "parsed-yaml").glob("*.json")
    tag, _, body = entry.read_bytes().partition(b"\n")
    lowered = body.replace(b'"high"', b'"minimal"')
    assert lowered != body
    entry.write_bytes(tag + b"\n" + lowered)
    assert load_yaml_cached(CONFIG, "govgate.yaml", key, "v1").data["system"]["risk"] == "high"

    other = CacheKey(b"o" * 32)
    entry.write_bytes(other.sign(_PURPOSE, entry.name, lowered).encode() + b"\n" + lowered)
    assert load_yaml_cached(CONFIG, "govgate.yaml", key, "v1").data["system"]["risk"] == "high"


def test_without_a_key_nothing_is_kept_and_errors_stay_errors(_isolated_cache_key: Path) -> None:
    from govgate.support.cachekey import load_key
    from govgate.support.yamlload import load_yaml_cached

    load_yaml_cached(CONFIG, "govgate.yaml", None, "v1")
    assert not (_isolated_cache_key / "parsed-yaml").exists()
    key = load_key()
    for _ in range(2):  # a file with a problem is never kept: the second read fails alike
        with pytest.raises(InputError, match="duplicate key 'a'"):
            load_yaml_cached("a: 1\na: 2\n", "x.yaml", key, "v1")
    assert not (_isolated_cache_key / "parsed-yaml").exists()


def test_plain_as_text_keeps_every_unquoted_value_as_written() -> None:
    """For files a YAML 1.1 dumper wrote (MLflow's meta.yaml): it leaves `1e5` and `0o17`
    unquoted because YAML 1.1 reads them as text; neither reading may turn them into numbers."""
    text = "a: 1e5\nb: 0o17\nc: on\nd: 10\ne: true\nf: null\ng: ~\nh: '1e5'\ni: 2026-03-01\n"
    assert load_yaml_text(text, "meta.yaml", plain_as_text=True).data == {
        "a": "1e5",
        "b": "0o17",
        "c": "on",
        "d": "10",
        "e": "true",
        "f": None,
        "g": None,
        "h": "1e5",
        "i": "2026-03-01",
    }
    assert load_yaml_text(text, "meta.yaml").data["a"] == 100000.0  # YAML 1.2's reading
