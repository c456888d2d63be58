"""The dotenv parser behind a service's `env_file:` (pure: text in, variables out)."""

from pathlib import Path

import pytest

from devctl.util.dotenv import DotenvError, parse, read_files


def test_the_usual_forms():
    text = (
        "# a comment\n"
        "\n"
        "PLAIN=value\n"
        "  SPACED  =  padded value  \n"
        "export EXPORTED=1\n"
        "EMPTY=\n"
        "INLINE=kept # a comment\n"
        "HASH=a#b\n"
        "COMMENT_ONLY= # nothing\n"
        "SINGLE='no $escapes \\n here'\n"
        'DOUBLE="tab\\tnew\\nquote\\" slash\\\\ dollar\\$ other\\q"\n'
        "QUOTED_HASH='a # b' # trailing comment\n"
        "dotted.key-name=ok\n"
    )
    assert parse(text) == {
        "PLAIN": "value",
        "SPACED": "padded value",
        "EXPORTED": "1",
        "EMPTY": "",
        "INLINE": "kept",
        "HASH": "a#b",
        "COMMENT_ONLY": "",
        "SINGLE": "no $escapes \\n here",
        "DOUBLE": 'tab\tnew\nquote" slash\\ dollar$ other\\q',
        "QUOTED_HASH": "a # b",
        "dotted.key-name": "ok",
    }


def test_quoted_values_span_lines_and_line_numbers_stay_right():
    text = 'KEY="-----BEGIN\nline two\n-----END"\nNEXT=1\nbad line\n'
    with pytest.raises(DotenvError, match=r"^x\.env:5: expected '=' after 'bad'"):
        parse(text, "x.env")
    assert parse(text.replace("bad line\n", "")) == {"KEY": "-----BEGIN\nline two\n-----END", "NEXT": "1"}
    assert parse("A='one\ntwo'\n") == {"A": "one\ntwo"}


def test_later_lines_win_and_crlf_bom_are_fine():
    assert parse("\ufeffA=1\r\nA=2\r\nB=x\r\n") == {"A": "2", "B": "x"}


def test_values_are_literal_no_variable_expansion():
    assert parse("A=1\nB=${A}\nC=\"$A\"\n") == {"A": "1", "B": "${A}", "C": "$A"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NOEQUALS\n", r"e:1: expected '=' after 'NOEQUALS'"),
        ("1ABC=x\n", r"e:1: expected KEY=value, got '1ABC=x'"),
        ("=x\n", r"e:1: expected KEY=value"),
        ("A=1\nB=\"open\n\n", r"e:2: B: the \" opened here is never closed"),
        ("A='x' y\n", r"e:1: A: unexpected 'y' after the closing '"),
        ("A=\"x\nz\" y\n", r"e:2: A: unexpected 'y' after the closing \""),
    ],
)
def test_mistakes_name_file_and_line(text: str, message: str):
    with pytest.raises(DotenvError, match=message):
        parse(text, "e")


def test_read_files_later_file_wins(tmp_path: Path):
    (tmp_path / "a.env").write_text("A=1\nB=1\n")
    (tmp_path / "b.env").write_text("B=2\n")
    assert read_files([tmp_path / "a.env", tmp_path / "b.env"]) == {"A": "1", "B": "2"}
    (tmp_path / "c.env").write_bytes(b"A=\xff\n")
    with pytest.raises(DotenvError, match="c.env: not UTF-8"):
        read_files([tmp_path / "c.env"], {tmp_path / "c.env": "c.env"})
