"""Two builds of the same inputs give the same bytes, PDFs included.

The same small city (one city, dossier pages in English and Polish, printed to PDF) is built twice
through the real command line, each build in its own process with another ``PYTHONHASHSEED``,
time zone and working folder, from raw and catalogue folders whose files were created in the
opposite order, into other release and report folders. Every file of both release folders and
both report folders must be byte-identical, and no output may name the folders it was built in.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from pipeline.dossier import PDF_EPOCH, PdfError, find_chromium, pdf_date, pdf_timestamp, reproducible_pdf
from tests.conftest import ROOT, write_catalogue, write_city
from tests.dossier.conftest import CITY_YAML, EXCEPTIONS, SOURCES, rows

CHROMIUM = find_chromium()
BUILDS = {  # name: (file creation order, PYTHONHASHSEED, TZ)
    "first": ("sorted", "1", "UTC"),
    "second": ("reversed", "2", "Pacific/Chatham"),
}


def snapshot(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by path relative to it."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_files(src: Path, dst: Path, order: str) -> None:
    """Copy ``src`` to ``dst`` file by file, creating files (and folders) in sorted or reversed order."""
    files = sorted(p for p in src.rglob("*") if p.is_file())
    for p in reversed(files) if order == "reversed" else files:
        target = dst / p.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, target)


def differences(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return [f"{path}: {'only in the second' if path not in a else 'only in the first' if path not in b else 'differs'}"
            for path in sorted(a.keys() | b.keys()) if a.get(path) != b.get(path)]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reproducible-inputs")
    write_catalogue(root)
    folder = write_city(root / "raw", rows(), city_yaml=CITY_YAML, sources=SOURCES)
    (folder / "exceptions.yaml").write_text(EXCEPTIONS, encoding="utf-8")
    return root


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium, or set "
                                             "ISO37120_CHROMIUM): the test compares the printed PDFs too")
def test_two_builds_of_the_same_inputs_are_byte_identical(template, tmp_path):
    snapshots = {}
    for name, (order, seed, tz) in BUILDS.items():
        work = tmp_path / name
        copy_files(template / "raw", work / "raw", order)
        copy_files(template / "indicators", work / "indicators", order)
        # GIT_DIR: the code version in the manifest is the checkout's git commit, and commits made
        # between the two builds (by whoever works in this checkout) are not what this test is
        # about; with no repository both builds say the package version.
        env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz, "GIT_DIR": str(tmp_path / "no-git-repository")}
        env.pop("SOURCE_DATE_EPOCH", None)
        env.pop("ISO37120_CATALOGUE", None)
        cmd = [sys.executable, "-m", "pipeline.cli", "build", str(work / "raw"), "--out", str(work / "out"),
               "--reports", str(work / "reports"), "--store", str(work / "store.duckdb"),
               "--catalogue", str(work / "indicators"), "--config", str(ROOT / "config" / "publish.yaml"), "--pdf"]
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"build {name} failed:\n{proc.stdout}\n{proc.stderr}"
        assert "PDF skipped" not in proc.stderr + proc.stdout, proc.stderr
        snapshots[name] = {part: snapshot(work / part) for part in ("out", "reports")}

    first, second = (snapshots[name] for name in BUILDS)
    for part in ("out", "reports"):
        assert differences(first[part], second[part]) == [], f"the two {part} folders differ"
    reports = first["reports"]
    assert {"dossier-0001-en.pdf", "dossier-0001-pl.pdf", "dossier-0001-en.html", "comparison.json"} <= reports.keys()
    assert any(p.startswith("open-data/") for p in first["out"]) and "manifest.json" in first["out"]

    # No output names the folders it was built in (compressed streams aside, which the comparison covers).
    for name in BUILDS:
        work = tmp_path / name
        for folder in ("out", "reports"):
            leaks = [p.relative_to(work).as_posix() for p in sorted((work / folder).rglob("*"))
                     if p.is_file() and str(tmp_path).encode() in p.read_bytes()]
            assert leaks == [], f"these files name the build's folder {tmp_path}"

    # The PDFs are dated with the release date, not with the time they were printed.
    import pikepdf

    from pipeline.store.models import Manifest

    manifest = Manifest.model_validate_json((tmp_path / "first" / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest.release_date is not None
    with pikepdf.open(tmp_path / "first" / "reports" / "dossier-0001-en.pdf") as pdf:
        stamp = manifest.release_date.strftime("D:%Y%m%d000000+00'00'")
        assert str(pdf.docinfo["/CreationDate"]) == str(pdf.docinfo["/ModDate"]) == stamp
        assert "/Metadata" not in pdf.Root
        assert len(pdf.trailer.ID) == 2


def test_the_date_of_a_pdf_is_the_release_date_else_source_date_epoch_else_1970(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1718323200")  # 2024-06-14T00:00:00Z
    assert pdf_date(date(2024, 2, 15)) == datetime(2024, 2, 15, tzinfo=timezone.utc)
    assert pdf_date(datetime(2024, 2, 15, 12, 30)) == datetime(2024, 2, 15, 12, 30, tzinfo=timezone.utc)
    assert pdf_date(None) == datetime(2024, 6, 14, tzinfo=timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(PdfError, match="SOURCE_DATE_EPOCH"):
        pdf_date(None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert pdf_date(None) == PDF_EPOCH == datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert pdf_timestamp(datetime(2024, 2, 15, 1, 2, 3, tzinfo=timezone.utc)) == "D:20240215010203+00'00'"


def test_a_pdf_rewritten_for_release_keeps_no_time_of_printing(tmp_path):
    """Two PDFs that differ only in their dates, XMP metadata and /ID become the same bytes."""
    import pikepdf

    made = []
    for n, printed in enumerate(("D:20261130211754+00'00'", "D:20261201080000+13'45'")):
        pdf = pikepdf.new()
        pdf.add_blank_page(page_size=(595, 842))
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
            xmp["xmp:CreateDate"] = printed
        pdf.docinfo["/Title"] = "Evidence dossier"
        pdf.docinfo["/CreationDate"] = pdf.docinfo["/ModDate"] = printed
        pdf.save(tmp_path / f"printed-{n}.pdf", static_id=False)
        reproducible_pdf(tmp_path / f"printed-{n}.pdf", tmp_path / f"released-{n}.pdf", pdf_date(date(2024, 2, 15)))
        made.append((tmp_path / f"released-{n}.pdf").read_bytes())
    assert (tmp_path / "printed-0.pdf").read_bytes() != (tmp_path / "printed-1.pdf").read_bytes()
    assert made[0] == made[1]
    with pikepdf.open(tmp_path / "released-0.pdf") as pdf:
        assert str(pdf.docinfo["/CreationDate"]) == str(pdf.docinfo["/ModDate"]) == "D:20240215000000+00'00'"
        assert str(pdf.docinfo["/Title"]) == "Evidence dossier" and "/Metadata" not in pdf.Root


def test_a_damaged_pdf_is_not_repaired_into_a_release(tmp_path):
    import pikepdf

    pdf = pikepdf.new()
    for _ in range(3):
        pdf.add_blank_page()
    pdf.save(tmp_path / "whole.pdf")
    data = (tmp_path / "whole.pdf").read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(PdfError, match="damaged"):
        reproducible_pdf(tmp_path / "cut.pdf", tmp_path / "out.pdf", PDF_EPOCH)
