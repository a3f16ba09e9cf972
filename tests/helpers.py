"""Small builders shared by the tests."""
from __future__ import annotations

import io
import zipfile


def zip_of(*entries: tuple[str, bytes]) -> bytes:
    """A ZIP holding exactly the given (name, content) entries, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()
