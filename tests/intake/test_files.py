"""Files are typed from their content, never from their name; bombs and programs are refused."""

from __future__ import annotations

import io

import pytest

from klachtbeheer.intake import files
from tests.intake.conftest import (
    EXE_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    SVG_BYTES,
    docx_bytes,
    odt_bytes,
    zip_bomb_docx,
)


def identify(name: str, content: bytes) -> files.FileKind:
    return files.identify(io.BytesIO(content), name=name, size=len(content))


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("brief.pdf", PDF_BYTES, files.PDF),
        ("foto.jpg", JPEG_BYTES, files.JPEG),
        ("scan.png", PNG_BYTES, files.PNG),
        ("brief.docx", docx_bytes(), files.DOCX),
        ("brief.odt", odt_bytes(), files.ODT),
    ],
)
def test_the_five_accepted_kinds(name, content, kind):
    assert identify(name, content) == kind


def test_a_pdf_renamed_exe_is_a_pdf_and_gets_a_pdf_name():
    kind = identify("rapport.exe", PDF_BYTES)
    assert kind == files.PDF
    assert files.safe_filename("rapport.exe", kind) == "rapport.exe.pdf"
    assert files.safe_filename("C:\\Users\\a\\brief.pdf", kind) == "brief.pdf"


def test_an_executable_renamed_pdf_is_refused_as_a_program():
    with pytest.raises(files.FileRefused) as refused:
        identify("factuur.pdf", EXE_BYTES)
    assert refused.value.code == "file_program"
    with pytest.raises(files.FileRefused) as refused:
        identify("run.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 40)
    assert refused.value.code == "file_program"


def test_an_svg_is_refused_by_name_even_when_called_png():
    with pytest.raises(files.FileRefused) as refused:
        identify("logo.png", SVG_BYTES)
    assert refused.value.code == "file_svg"
    with pytest.raises(files.FileRefused):
        identify("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")


def test_a_zip_bomb_in_a_docx_is_refused_without_unpacking_it():
    bomb = zip_bomb_docx()
    assert len(bomb) < 200_000  # small on disk, 50 MB unpacked
    with pytest.raises(files.FileRefused) as refused:
        identify("brief.docx", bomb)
    assert refused.value.code == "file_archive_too_large"


def test_a_docx_lying_about_its_sizes_is_still_caught(monkeypatch):
    monkeypatch.setattr(files, "MAX_ZIP_RATIO", 2)
    content = docx_bytes({"word/media/blank.xml": b"a" * 100_000})
    with pytest.raises(files.FileRefused):
        identify("brief.docx", content)


def test_macros_and_other_zips_are_refused():
    with pytest.raises(files.FileRefused) as refused:
        identify("brief.docx", docx_bytes({"word/vbaProject.bin": b"\x00" * 10}))
    assert refused.value.code == "file_macros"
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hallo")
    with pytest.raises(files.FileRefused) as refused:
        identify("archief.docx", buffer.getvalue())
    assert refused.value.code == "file_type"
    with pytest.raises(files.FileRefused):
        identify("kapot.docx", b"PK\x03\x04 not really a zip")


def test_empty_large_and_unknown_files():
    with pytest.raises(files.FileRefused) as refused:
        identify("leeg.pdf", b"")
    assert refused.value.code == "file_empty"
    with pytest.raises(files.FileRefused) as refused:
        files.identify(io.BytesIO(PDF_BYTES), name="groot.pdf", size=files.MAX_FILE_BYTES + 1)
    assert refused.value.code == "file_too_large"
    with pytest.raises(files.FileRefused) as refused:
        identify("notities.txt", b"gewoon tekst")
    assert refused.value.code == "file_type"
