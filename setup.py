"""Maps the repository's top-level folders onto one import namespace, ``osemock.*``.

``server/`` becomes ``osemock.server``, ``cpe/`` becomes ``osemock.cpe`` and so on, so nothing
bare like ``server`` or ``client`` lands in site-packages.  Works for wheels and editable installs.
"""
from setuptools import find_namespace_packages, setup

ROOTS = ("server", "client", "conformance", "cpe", "fixtures")

package_dir = {"osemock": "osemock"}
packages = ["osemock"]
for root in ROOTS:
    package_dir[f"osemock.{root}"] = root
    packages.append(f"osemock.{root}")
    packages += [
        f"osemock.{root}.{sub}"
        for sub in find_namespace_packages(root, exclude=["*__pycache__*"])
    ]

setup(package_dir=package_dir, packages=packages)
