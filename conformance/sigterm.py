"""Temporary folders that go when SIGTERM ends the process too: by default it runs no ``finally``, no
fixture teardown and no ``atexit``, so a CI job stopped at its timeout left each run's in-process mock
(its store and keys) in the temporary folder.

    remove_on_sigterm(folder)      # while the folder lives
    keep_on_sigterm(folder)        # once it is removed the usual way
"""
from __future__ import annotations

import os
import shutil
import signal
import threading
from pathlib import Path
from typing import Any

_folders: set[Path] = set()
_previous: Any = signal.SIG_DFL
"""The SIGTERM handler in force before ours: called, or put back and the signal sent again, once the
folders are gone, so the process ends as it would have."""


def remove_on_sigterm(folder: Path) -> None:
    """Remove ``folder`` if SIGTERM comes before :func:`keep_on_sigterm`.  Only the main thread may set a
    signal handler; a process that ignores SIGTERM, or handles it outside Python, is left as it is."""
    global _previous
    if threading.current_thread() is not threading.main_thread():
        return
    current = signal.getsignal(signal.SIGTERM)
    if current is not _terminated:
        if current is signal.SIG_IGN or current is None:
            return
        _previous = current
        signal.signal(signal.SIGTERM, _terminated)
    _folders.add(folder)


def keep_on_sigterm(folder: Path) -> None:
    """``folder`` is gone (or kept on purpose): SIGTERM need not remove it; the last one puts the
    handler before ours back."""
    _folders.discard(folder)
    if (not _folders and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) is _terminated):
        signal.signal(signal.SIGTERM, _previous)


def _terminated(signum: int, frame: Any) -> None:
    for folder in list(_folders):
        shutil.rmtree(folder, ignore_errors=True)
    _folders.clear()
    signal.signal(signal.SIGTERM, _previous)
    if callable(_previous):
        _previous(signum, frame)
    else:  # the default: the process ends of the signal, as it did before
        os.kill(os.getpid(), signal.SIGTERM)
