"""One walk decides what the build reads, hashes and archives: links never lead outside the folder."""

from __future__ import annotations

import os
import shutil

import pytest

from pipeline.catalogue import load_catalogue
from pipeline.files import walk
from pipeline.problems import ProblemsFound
from pipeline.release import archive, tree_digest


def rules(found) -> list[tuple[str, str]]:
    return [(p.file, p.rule) for p in found.problems]


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "raw"
    (root / "city" / "observations").mkdir(parents=True)
    (root / "city" / "city.yaml").write_text("code: X\n")
    (root / "city" / "observations" / "a.csv").write_text("a\n")
    (root / "city" / ".hidden.csv").write_text("h\n")
    (root / "city" / ".git").mkdir()
    (root / "city" / ".git" / "config").write_text("x\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.csv").write_text("secret\n")
    return root


def test_files_in_path_order_without_hidden_ones(folder):
    found = walk(folder)
    assert [found.relative(p) for p in found.files] == ["city/city.yaml", "city/observations/a.csv"]
    assert found.problems == []


def test_a_linked_folder_leading_outside_is_refused_not_skipped(folder):
    os.symlink(folder.parent / "outside", folder / "city" / "observations" / "more")
    found = walk(folder)
    assert rules(found) == [("city/observations/more", "outside_raw_folder")]
    assert "folder points outside the raw folder" in found.problems[0].message
    assert all("secret" not in str(p) for p in found.files)


def test_a_linked_file_inside_is_read_and_a_linked_folder_inside_is_not_walked_twice(folder):
    (folder / "other" / "observations").mkdir(parents=True)
    (folder / "other" / "observations" / "b.csv").write_text("b\n")
    os.symlink(folder / "city" / "observations" / "a.csv", folder / "city" / "observations" / "copy.csv")
    os.symlink(folder / "city", folder / "city" / "observations" / "loop")           # a loop
    os.symlink(folder / "other" / "observations", folder / "city" / "observations" / "borrowed")  # another city's files
    found = walk(folder)
    assert found.problems == []
    assert [found.relative(p) for p in found.files] == [
        "city/city.yaml", "city/observations/a.csv", "city/observations/copy.csv", "other/observations/b.csv"]


def test_broken_links_folders_named_like_files_and_too_many_files(folder, monkeypatch):
    os.symlink(folder / "nowhere.csv", folder / "city" / "observations" / "gone.csv")
    (folder / "city" / "observations" / "x.csv").mkdir()
    assert sorted(rules(walk(folder))) == [("city/observations/gone.csv", "broken_link"), ("city/observations/x.csv", "not_a_file")]
    monkeypatch.setenv("ISO37120_MAX_FILES", "1")
    [problem] = [p for p in walk(folder).problems if p.rule == "too_many_files"]
    assert "ISO37120_MAX_FILES" in problem.message


def test_hashing_and_archiving_refuse_what_reading_refuses(folder, tmp_path):
    before = tree_digest(folder)
    os.symlink(folder.parent / "outside", folder / "city" / "observations" / "more")
    with pytest.raises(ProblemsFound) as e:
        tree_digest(folder)
    assert [p.rule for p in e.value.problems] == ["outside_raw_folder"]
    with pytest.raises(ProblemsFound):
        archive(folder, folder, tmp_path / "release")
    assert not list((tmp_path / "release").rglob("secret.csv"))
    (folder / "city" / "observations" / "more").unlink()
    assert tree_digest(folder) == before


def test_the_archive_holds_exactly_the_files_that_were_hashed(folder, tmp_path):
    os.symlink(folder / "city" / "observations" / "a.csv", folder / "city" / "observations" / "b.csv")
    archive(folder, folder, tmp_path / "release")
    copied = tmp_path / "release" / "archive" / "raw"
    assert sorted(p.relative_to(copied).as_posix() for p in copied.rglob("*") if p.is_file()) == [
        "city/city.yaml", "city/observations/a.csv", "city/observations/b.csv"]
    assert not (copied / "city" / "observations" / "b.csv").is_symlink()
    assert tree_digest(copied) == tree_digest(folder)


def test_a_catalogue_linking_outside_is_refused(tmp_path):
    from tests.conftest import write_catalogue

    cat = write_catalogue(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(next(cat.rglob("5.2.yaml")), outside / "5.2.yaml")
    os.symlink(outside, next(cat.rglob("5.2.yaml")).parent / "more")
    with pytest.raises(ProblemsFound) as e:
        load_catalogue(cat)
    assert "outside_catalogue_folder" in {p.rule for p in e.value.problems}
