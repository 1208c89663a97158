"""The sample images in docs/letters.

Run `LETTER_SAMPLES=docs/letters pytest tests/letters/test_samples.py`.

Renders one letter of each kind through the real steps, to PDF and then to
PNG with poppler's pdftoppm, so the images in the docs are what the software
makes. Skipped in the normal run (it writes into the work tree).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from klachtbeheer.letters import services
from tests.letters.helpers import letter_of_each_kind
from tests.letters.test_letters import titled  # noqa: F401 - the fixture

SAMPLES = os.environ.get("LETTER_SAMPLES", "")


@pytest.mark.skipif(not SAMPLES, reason="set LETTER_SAMPLES=docs/letters to write the samples")
@pytest.mark.django_db
def test_write_sample_images(titled, tmp_path):  # noqa: F811
    target = Path(SAMPLES)
    target.mkdir(parents=True, exist_ok=True)
    for kind, letter in letter_of_each_kind(titled).items():
        pdf = tmp_path / f"{kind}.pdf"
        pdf.write_bytes(services.letter_pdf_bytes(letter))
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(target / kind),
            ],
            check=True,
        )
        assert (target / f"{kind}.png").stat().st_size > 10_000
