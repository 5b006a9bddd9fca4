"""The `grandrounds` command: schema, new, render, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, run_cli, write_case

SCHEMA_FIELDS = [
    "title", "type", "status", "date", "authors", "specialties", "tags", "keywords", "codes",
    "patient", "patients", "abstract", "introduction", "presentation", "timeline",
    "investigations", "diagnosis", "management", "outcome", "discussion", "learning_points",
    "patient_perspective", "figures", "tables", "references", "abbreviations",
    "acknowledgements", "funding", "competing_interests", "author_contributions",
    "data_availability", "ethics_approval", "consent", "license", "source", "style",
    "teaching", "schema_version", "id", "check", "pubmed_ids", "questions", "aliases",
]


@pytest.fixture
def site(tmp_path, monkeypatch):
    (tmp_path / "cases").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --------------------------------------------------------------------------- schema


def test_schema_prints_valid_json_with_every_field(capsys):
    code, out, err = run_cli(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert set(SCHEMA_FIELDS) <= set(schema["properties"])
    assert set(schema["properties"]) == set(SCHEMA_FIELDS)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"title", "abstract"}
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_nested_objects_forbid_unknown_keys(capsys):
    schema = json.loads(run_cli(capsys, "schema")[1])
    for name in ("Patient", "Figure", "Treatment", "Investigation", "Diagnosis"):
        assert schema["$defs"][name]["additionalProperties"] is False, name
    assert schema["$defs"]["Figure"]["required"] == ["id", "file", "alt"]


def test_committed_schema_is_current(capsys):
    code, out, _ = run_cli(capsys, "schema")
    assert code == 0
    committed = (ROOT / "schema" / "case.schema.json").read_text(encoding="utf-8")
    assert committed == out, "schema/case.schema.json is stale: run `grandrounds schema --out schema/case.schema.json`"


def test_schema_out_writes_the_same_text(site, capsys):
    code, out, _ = run_cli(capsys, "schema")
    code2, _, err = run_cli(capsys, "schema", "--out", "schema/case.schema.json")
    assert code2 == 0
    assert (site / "schema" / "case.schema.json").read_text(encoding="utf-8") == out


def test_example_cases_validate_against_the_schema_and_typos_do_not(capsys):
    import jsonschema
    import yaml

    schema = json.loads(run_cli(capsys, "schema")[1])
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):  # what an editor would underline
        jsonschema.validate({"title": "T", "abstract": "A", "titel": "x"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"title": "T", "abstract": {"bakground": "x"}}, schema)


# --------------------------------------------------------------------------- add
# (`grandrounds new DIR`, the site scaffold, is tested in test_check.py)


def test_add_creates_a_draft_that_checks_with_only_care_warnings(site, capsys):
    code, out, err = run_cli(capsys, "add", "Fever: a case of Crohn's", "--id", "my-case")
    assert code == 0, err
    record = site / "cases" / "my-case.yaml"
    assert record.is_file()
    assert "created cases/my-case.yaml" in err
    assert record.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../schema/case.schema.json\n")
    code, out, err = run_cli(capsys, "check", "--strict")
    assert code == 1  # a skeleton is not finished: CARE items are missing
    assert out and all(": warning: care/" in line for line in out.splitlines()), out
    assert run_cli(capsys, "check")[0] == 0
    from grandrounds.record.library import read_case

    case = read_case(Path("cases/my-case.yaml"), Path("cases"))
    assert case.title == "Fever: a case of Crohn's"
    assert case.slug == "my-case"
    assert case.status == "draft"


def test_add_makes_the_file_name_from_the_title(site, capsys):
    assert run_cli(capsys, "add", "Acute gout in a café owner")[0] == 0
    from grandrounds.record.library import read_case

    case = read_case(Path("cases/acute-gout-in-a-cafe-owner.yaml"), Path("cases"))
    assert case.title == "Acute gout in a café owner"


def test_add_refuses_an_existing_record_and_force_replaces_it(site, capsys):
    record = write_case(site, "taken", "title: Mine\nabstract: Keep me.\n")
    before = record.read_bytes()
    code, out, err = run_cli(capsys, "add", "Taken")
    assert code == 1
    assert "cases/taken.yaml already exists" in err and "--force" in err
    assert record.read_bytes() == before
    assert "Traceback" not in out + err
    assert run_cli(capsys, "add", "Taken", "--force")[0] == 0
    assert record.read_text(encoding="utf-8").startswith("# yaml-language-server:")
    assert [p.name for p in (site / "cases").iterdir()] == ["taken.yaml"]  # no temporary file left


@pytest.mark.parametrize("name, text", [
    ("other", "title: Mine\nabstract: Y\nid: taken\n"),
    ("taken.yml", "title: Mine\nabstract: Y\n"),
])
def test_add_refuses_an_id_used_by_another_record(site, capsys, name, text):
    write_case(site, name, text)
    code, out, err = run_cli(capsys, "add", "Taken")
    assert code == 1
    assert not (site / "cases" / "taken.yaml").exists()


@pytest.mark.parametrize("reserved", ["index", "tags", "specialties", "search"])
def test_add_refuses_a_reserved_id(site, capsys, reserved):
    code, out, err = run_cli(capsys, "add", reserved.capitalize())
    assert code == 2
    assert f"case id '{reserved}' is reserved for a generated page" in err
    assert list((site / "cases").iterdir()) == []


@pytest.mark.parametrize("bad", ["Bad Id", "_leading", "a/b", "../escape", "caf\u00e9"])
def test_add_refuses_an_invalid_id(site, capsys, bad):
    code, out, err = run_cli(capsys, "add", "A title", "--id", bad)
    assert code == 2
    assert list((site / "cases").iterdir()) == []
    assert not (site / "escape.yaml").exists()


def test_add_refuses_a_title_without_letters(site, capsys):
    code, out, err = run_cli(capsys, "add", "???")
    assert code == 2
    assert "--id" in err


# --------------------------------------------------------------------------- render


def test_render_with_a_broken_case_writes_nothing(site, capsys):
    write_case(site, "good", "title: Good\nabstract: Fine.\n")
    write_case(site, "bad", "title: Bad\nabstract: Y\ntitel: Z\n")
    code, out, err = run_cli(capsys, "render", "--out", "rendered")
    assert code == 1
    assert err.splitlines()[:1] == ["cases/bad.yaml:3:1: unknown key 'titel'; did you mean 'title'?"]
    assert "nothing written" in err
    assert not (site / "rendered").exists()
    assert [p.name for p in site.iterdir()] == ["cases"]


def test_render_with_a_broken_case_leaves_an_existing_out_dir_unchanged(site, capsys):
    write_case(site, "good", "title: Good\nabstract: Fine.\n")
    assert run_cli(capsys, "render", "--out", "rendered")[0] == 0
    before = snapshot(site / "rendered")
    assert "good.md" in before and "index.md" in before
    write_case(site, "bad", "title: [Bad\nabstract: Y\n")
    code, out, err = run_cli(capsys, "render", "--out", "rendered")
    assert code == 1
    assert err.startswith("cases/bad.yaml:")
    assert snapshot(site / "rendered") == before
    assert sorted(p.name for p in site.iterdir()) == ["cases", "rendered"]


def test_render_removes_the_pages_of_removed_records(site, capsys):
    write_case(site, "one", "title: One\nabstract: Fine.\n")
    assert run_cli(capsys, "render", "--out", "rendered")[0] == 0
    (site / "cases" / "one.yaml").unlink()
    write_case(site, "two", "title: Two\nabstract: Fine.\n")
    assert run_cli(capsys, "render", "--out", "rendered")[0] == 0
    written = snapshot(site / "rendered")
    assert "two.md" in written and "one.md" not in written
    assert sorted(p.name for p in site.iterdir()) == ["cases", "rendered"]  # no staging left over


def test_render_unknown_style_is_a_usage_error(site, capsys):
    write_case(site, "one", "title: One\nabstract: Fine.\n")
    code, out, err = run_cli(capsys, "render", "--style", "harvard-ish")
    assert code == 2
    assert "unknown style 'harvard-ish'" in err
    assert not (site / "rendered").exists()


# --------------------------------------------------------------------------- usage


def test_unknown_subcommand_exits_2(capsys):
    code, out, err = run_cli(capsys, "frobnicate")
    assert code == 2
    assert "invalid choice: 'frobnicate'" in err
    assert "Traceback" not in out + err


def test_no_subcommand_exits_2(capsys):
    code, out, err = run_cli(capsys)
    assert code == 2
    assert "usage: grandrounds" in err


def test_version(capsys):
    from grandrounds import __version__

    code, out, err = run_cli(capsys, "--version")
    assert code == 0
    assert out.strip() == f"grandrounds {__version__}"


def test_console_script_entry_point_is_installed():
    from importlib.metadata import entry_points

    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts.get("grandrounds") == "grandrounds.cli:main"
    plugins = {e.name: e.value for e in entry_points(group="mkdocs.plugins")}
    assert plugins.get("grandrounds") == "grandrounds.hosts.plugin:GrandroundsPlugin"
