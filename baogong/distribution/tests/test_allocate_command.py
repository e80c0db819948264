"""`baogong allocate`: the command through Django and the console fast path without it."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from baogong.distribution.tests.problems import req, wh

# ----------------------------------------------------------------- the command


def test_allocate_command_prints_the_answer(tmp_path):
    path = tmp_path / "problem.json"
    path.write_text(
        json.dumps({"warehouses": [wh("W1", 0.0, {"a": 3})], "requests": [req("R1", 1, [("a", 5)])]}),
        encoding="utf-8",
    )
    out = StringIO()
    call_command("allocate", str(path), stdout=out)
    assert json.loads(out.getvalue()) == {
        "lines": [{"request": "R1", "item": "a", "qty": 3, "sources": [{"warehouse": "W1", "qty": 3}]}]
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"warehouses": [], "requests": [{"id": "R"}]}', "requests[0].tier: must be an integer >= 1"),
        ("[]", "problem: must be an object"),
    ],
)
def test_allocate_command_refuses_bad_input_with_exit_code_2(tmp_path, content, message):
    path = tmp_path / "problem.json"
    path.write_text(content, encoding="utf-8")
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("allocate", str(path), stdout=out, stderr=err)
    assert exc.value.code == 2
    assert message in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert out.getvalue() == ""


def test_allocate_command_missing_file(tmp_path):
    err = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("allocate", str(tmp_path / "none.json"), stderr=err)
    assert exc.value.code == 2
    assert "cannot read" in err.getvalue()


# ----------------------------------------------------------------- the command without Django


def test_console_allocate_answers_without_django(tmp_path, capsys):
    from baogong.distribution import cli

    # given a problem file
    path = tmp_path / "problem.json"
    path.write_text(
        json.dumps({"warehouses": [wh("W1", 0.0, {"a": 3})], "requests": [req("R1", 1, [("a", 5)])]}),
        encoding="utf-8",
    )
    # when
    code = cli.main([str(path)])
    # then
    assert code == 0
    out = capsys.readouterr().out
    assert out.endswith("\n")
    assert json.loads(out) == {
        "lines": [{"request": "R1", "item": "a", "qty": 3, "sources": [{"warehouse": "W1", "qty": 3}]}]
    }
    assert cli.main(["--indent", "2", str(path)]) == 0
    assert capsys.readouterr().out.startswith('{\n  "lines": [')


def test_console_allocate_refuses_bad_input_with_exit_code_2(tmp_path, capsys):
    from baogong.distribution import cli

    path = tmp_path / "problem.json"
    path.write_text('{"warehouses": [], "requests": [{"id": "R"}]}', encoding="utf-8")
    assert cli.main([str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "allocate: invalid problem:\n  requests[0].tier: must be an integer >= 1" in captured.err
    assert cli.main([str(tmp_path / "none.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("args", [[], ["--help"], ["a.json", "b.json"], ["--settings=x", "a.json"], ["--indent"]])
def test_console_allocate_leaves_other_forms_to_django(args):
    from baogong.distribution import cli

    assert cli.main(args) is None


def test_console_entry_point_takes_the_fast_path(tmp_path, monkeypatch, capsys):
    import django.core.management

    import baogong.cli

    path = tmp_path / "problem.json"
    path.write_text(json.dumps({"warehouses": [], "requests": []}), encoding="utf-8")
    monkeypatch.setattr(django.core.management, "execute_from_command_line", pytest.fail)
    with pytest.raises(SystemExit) as exc:
        baogong.cli.main(["baogong", "allocate", str(path)])
    assert exc.value.code == 0
    assert capsys.readouterr().out == '{"lines": []}\n'
