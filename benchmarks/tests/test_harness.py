"""The Markdown that `make bench` writes into docs/benchmarks/."""

import argparse
import sys

from benchmarks import harness


def test_markdown_table_keeps_the_columns_order_and_escapes_pipes():
    rows = [{"query": "a | b", "median_ms": 1.5, "extra": "not shown"}, {"query": "c"}]

    table = harness.markdown_table(rows, ["query", "median_ms"])

    assert table == ("| query | median_ms |\n|---|---|\n| a \\| b | 1.5 |\n| c |  |\n")


def test_write_markdown_says_it_is_generated_by_which_command_when_and_where(
    tmp_path, monkeypatch
):
    script = harness.REPO / "benchmarks" / "pool_query.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--sizes", "10"])

    path = harness.write_markdown(
        tmp_path / "docs",
        "pool_query",
        "Pool queries",
        [{"songs": 10, "median_ms": 2.5}],
        ["songs", "median_ms"],
        notes="Milliseconds.",
    )

    assert path == tmp_path / "docs" / "pool_query.md"
    header, title, notes, table = path.read_text().split("\n\n")
    assert header.startswith("*Generated, do not edit: ")
    assert "`python benchmarks/pool_query.py --sizes 10`" in header
    assert "(`make bench` runs it)" in header
    assert " CPUs, Python 3." in header and "load average" in header
    assert title == "# Pool queries"
    assert notes == "Milliseconds."
    assert table == "| songs | median_ms |\n|---|---|\n| 10 | 2.5 |\n"


def test_without_a_folder_nothing_is_written():
    assert harness.write_markdown(None, "x", "X", [], ["a"]) is None


def test_the_option_takes_a_folder(tmp_path):
    parser = argparse.ArgumentParser()
    harness.add_markdown_option(parser)

    assert parser.parse_args([]).markdown is None
    assert parser.parse_args(["--markdown", str(tmp_path)]).markdown == tmp_path
