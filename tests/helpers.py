"""Small builders shared by the tests."""
from __future__ import annotations

import io
import os
import zipfile


def zip_of(*entries: tuple[str, bytes]) -> bytes:
    """A ZIP holding exactly the given (name, content) entries, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def examples(count: int) -> int:
    """A property test's number of examples: ``count`` in the suite, times ``OSEMOCK_FUZZ_FACTOR`` for a
    long campaign (``make fuzz``). Campaigns of hundreds of thousands of inputs found what 60 did not."""
    return count * max(1, int(os.environ.get("OSEMOCK_FUZZ_FACTOR", "1")))
