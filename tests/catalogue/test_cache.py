"""The cache of the loaded catalogue: used only for the same files, code and limits; never for a
catalogue with problems; never an error of its own."""

from __future__ import annotations

import pickle

import pytest

from pipeline.catalogue import cache, load_catalogue, loader
from pipeline.problems import ProblemsFound
from tests.conftest import INDICATORS, write_catalogue


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(folder))
    return folder / "catalogue"


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """The full loads (parse and check every file) done, by catalogue folder."""
    done: list[str] = []
    full = loader._load

    def counted(root, *args):
        done.append(str(root))
        return full(root, *args)

    monkeypatch.setattr(loader, "_load", counted)
    return done


def problems_of(root) -> list:
    with pytest.raises(ProblemsFound) as e:
        load_catalogue(root)
    return e.value.problems


def test_a_second_load_comes_from_the_cache_and_is_the_same(tmp_path, cache_dir, loads):
    root = write_catalogue(tmp_path)
    first = load_catalogue(root)
    second = load_catalogue(root)
    assert loads == [str(root)]
    assert second == first and second is not first
    assert list(second.indicators) == list(first.indicators) and second.files == first.files
    assert len(list(cache_dir.glob("*.pickle"))) == 1


def test_a_changed_definition_is_read_again(tmp_path, cache_dir, loads):
    root = write_catalogue(tmp_path)
    assert load_catalogue(root).get("5.1").decimals == 2
    path = root / "test-ed" / "5.1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("decimals: 2", "decimals: 3"), encoding="utf-8")
    assert load_catalogue(root).get("5.1").decimals == 3
    assert len(loads) == 2


def test_a_new_file_or_folder_is_a_new_key(tmp_path, cache_dir, loads):
    root = write_catalogue(tmp_path)
    load_catalogue(root)
    (root / "empty-edition").mkdir()
    [p] = problems_of(root)  # an edition folder without edition.yaml: not the cached catalogue
    assert p.rule == "missing_edition_file"
    (root / "empty-edition").rmdir()
    (root / "test-ed" / "notes.yml").write_text("id: x\n", encoding="utf-8")
    assert {p.file for p in problems_of(root)} == {"indicators/test-ed/notes.yml"}


def test_a_catalogue_with_problems_is_never_cached_and_says_the_same_each_time(tmp_path, cache_dir, loads):
    broken = INDICATORS["5.1"].replace("decimals: 2", "decimals: 2\nmultipler: 100")
    root = write_catalogue(tmp_path, {**INDICATORS, "5.1": broken})
    first, second = problems_of(root), problems_of(root)
    assert first == second
    assert [(p.rule, p.field, p.line) for p in first] == [("schema.extra_forbidden", "multipler", 14)]
    assert len(loads) == 2 and not list(cache_dir.glob("*.pickle"))


def test_other_code_or_limits_never_use_the_entry(tmp_path, cache_dir, loads, monkeypatch):
    root = write_catalogue(tmp_path)
    load_catalogue(root)
    monkeypatch.setattr(cache, "_code", "another version of the code")
    load_catalogue(root)
    monkeypatch.setenv("ISO37120_MAX_FORMULA_DEPTH", "12")
    load_catalogue(root)
    assert len(loads) == 3 and len(list(cache_dir.glob("*.pickle"))) == 3


def test_the_code_digest_covers_every_module_of_the_package(tmp_path, monkeypatch):
    import pipeline

    monkeypatch.setattr(cache, "_code", None)
    first = cache.code_digest()
    package = tmp_path / "pipeline"
    package.mkdir()
    (package / "__init__.py").write_text("__version__ = '0.1.0'\n", encoding="utf-8")
    monkeypatch.setattr(pipeline, "__file__", str(package / "__init__.py"))
    monkeypatch.setattr(cache, "_code", None)
    assert cache.code_digest() != first
    (package / "deep").mkdir()
    (package / "deep" / "module.py").write_text("X = 1\n", encoding="utf-8")
    before = cache._code
    monkeypatch.setattr(cache, "_code", None)
    assert cache.code_digest() != before


def test_the_same_folder_named_otherwise_is_another_entry(tmp_path, cache_dir, loads, monkeypatch):
    root = write_catalogue(tmp_path)
    monkeypatch.chdir(tmp_path)
    relative = load_catalogue(root.relative_to(tmp_path))
    absolute = load_catalogue(root)
    assert relative.root == root.relative_to(tmp_path) and absolute.root == root  # the paths it holds are as given
    assert relative.files["test-ed:5.1"] == root.relative_to(tmp_path) / "test-ed" / "5.1.yaml"
    assert len(loads) == 2


def test_a_broken_entry_is_read_again_and_replaced(tmp_path, cache_dir, loads):
    root = write_catalogue(tmp_path)
    load_catalogue(root)
    [entry] = cache_dir.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert load_catalogue(root).get("5.1").decimals == 2
    entry.write_bytes(pickle.dumps(("another key", "not a catalogue")))
    assert load_catalogue(root).get("5.1").decimals == 2
    assert len(loads) == 3
    assert load_catalogue(root).get("5.1").decimals == 2 and len(loads) == 3  # replaced by a good one


def test_an_unwritable_cache_is_no_error(tmp_path, monkeypatch, loads):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(cache.ENV_VAR, str(blocker / "cache"))
    root = write_catalogue(tmp_path)
    assert load_catalogue(root).get("5.1").decimals == 2
    assert load_catalogue(root).get("5.1").decimals == 2
    assert len(loads) == 2


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch, loads):
    monkeypatch.setenv(cache.ENV_VAR, "off")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    root = write_catalogue(tmp_path)
    load_catalogue(root)
    load_catalogue(root)
    assert len(loads) == 2 and not (tmp_path / "home").exists()


def test_old_entries_are_removed(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setattr(cache, "KEEP", 2)
    for n in range(4):
        load_catalogue(write_catalogue(tmp_path / str(n)))
    assert len(list(cache_dir.glob("*.pickle"))) == 2
    assert not list(cache_dir.glob(".*"))  # no temporary file left behind


def test_templates_are_compiled_once_per_code_in_the_cache_folder(tmp_path, monkeypatch):
    """The dossier's and the site's Jinja2 environments keep compiled templates in the cache
    folder; a template read from there renders as one compiled from its source; off, none."""
    from pipeline.catalogue.cache import template_cache
    from pipeline.dossier.pages import environment

    monkeypatch.setenv("ISO37120_CACHE_DIR", str(tmp_path / "cache"))
    first = environment().get_template("dossier.html.j2")
    kept = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache" / "templates").rglob("*.cache")}
    assert kept and all(p.parent.name.startswith("pipeline.dossier-") for p in kept)
    again = environment().get_template("dossier.html.j2")  # a new environment: the bytecode from the folder
    assert again is not first and set(again.blocks) == set(first.blocks)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "cache" / "templates").rglob("*.cache")} == kept  # read, not written
    monkeypatch.setenv("ISO37120_CACHE_DIR", "off")
    assert template_cache("pipeline.dossier") is None and environment().bytecode_cache is None
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("ISO37120_CACHE_DIR", str(blocked / "cache"))
    assert template_cache("pipeline.site") is None  # a folder that cannot be made: compile, no error
