"""Shared settings of the property tests that feed hostile input to every way in (issue 12).

`make test` runs them bounded: few examples, derandomised, so the suite stays quick and
repeatable. `make fuzz` sets FUZZ=1 for the long run: `long` examples (at least 10,000
e-mails), random, every failure printed with its reproduction blob; each failure found is
fixed and kept in the test as an `@example`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

FUZZING = os.environ.get("FUZZ") == "1"


def fuzz_settings(bounded: int, long: int = 10_000) -> settings:
    return settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES", long)) if FUZZING else bounded,
        derandomize=not FUZZING,
        deadline=None,
        database=None,
        print_blob=FUZZING,
        suppress_health_check=list(HealthCheck),
    )
