"""Rule families: the workbook rows of one part of a CPE (line items, taxes, payment terms…) that
need sentences or Python beyond :mod:`osemock.server.rules.patterns`.

Every module of this package is imported here, so a family registers its sentence compilers
(:func:`osemock.server.rules.patterns.sentence`) and Python rules
(:func:`osemock.server.rules.backend.python_rule`) just by existing.
"""
from __future__ import annotations

import importlib
import pkgutil

for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    importlib.import_module(f"{__name__}.{_module.name}")
