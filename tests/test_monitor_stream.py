"""The monitor reads a JSON-lines file, or the chunks a worker reads of it, line for line
as Python's ``utf-8-sig`` reading with replacement characters reads the whole file: a
byte order mark, Windows and old Mac line ends, bytes that are not UTF-8."""

from __future__ import annotations

import codecs

import pytest

from llm_regressions.monitor.stream import _text

CONTENTS = {
    "bom": codecs.BOM_UTF8 + b'{"a": 1}\n{"b": 2}\n',
    "bom only": codecs.BOM_UTF8,
    "two boms": codecs.BOM_UTF8 * 2 + b"{}\n",
    "part of a bom": b"\xef\xbb{}\n\xef\xbb\xbf\n",
    "no bom": b'{"a": "\xc3\xa9"}\r\n{"b": 2}\r{"c": 3}',
    "bad utf-8": b'{"a": "\xff\xfe"}\n\xc3\n{"b": "\xe2\x82"}\n',
    "empty": b"",
    "short": b"{",
}


@pytest.mark.parametrize("name", CONTENTS)
def test_text_reads_as_utf_8_sig_does(tmp_path, name) -> None:
    path = tmp_path / "logs.jsonl"
    path.write_bytes(CONTENTS[name])
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        expected = list(handle)
    with _text(path, 0, None) as handle:
        assert list(handle) == expected
    # chunks cut after a newline read as the whole file does, line for line
    data = CONTENTS[name]
    cuts = [0] + [i + 1 for i, byte in enumerate(data) if byte == ord("\n")]
    cuts = sorted(set(cuts) | {len(data)})
    chunked = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        with _text(path, start, end) as handle:
            chunked += list(handle)
    if len(cuts) > 1:
        assert chunked == expected
