"""Every package holds something: no management/commands without a command, no migrations
package for an app without models; every test folder is a package like its siblings."""

from __future__ import annotations

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
CODE = ("travelportal", "scim", "approvals")


def contents(folder: Path) -> list[Path]:
    return [child for child in folder.iterdir() if child.name != "__pycache__"]


def packages(root: Path) -> list[Path]:
    return [init.parent for init in root.rglob("__init__.py") if "__pycache__" not in init.parts]


def is_empty(package: Path) -> bool:
    children = contents(package)
    return [child.name for child in children] == ["__init__.py"] and not children[0].read_text().strip()


def test_the_code_has_packages_to_check():
    # Guards the scan below: if it found no package, it would pass vacuously.
    found = {package.relative_to(BASE_DIR).as_posix() for folder in CODE for package in packages(BASE_DIR / folder)}
    assert {"travelportal/companies/migrations", "travelportal/tokens/management/commands", "scim"} <= found


def test_no_package_holds_only_an_empty_init():
    empty = [
        package.relative_to(BASE_DIR).as_posix()
        for folder in CODE
        for package in packages(BASE_DIR / folder)
        if is_empty(package)
    ]

    assert empty == []


def test_every_test_folder_is_a_package():
    folders = {path.parent for path in (BASE_DIR / "tests").rglob("test_*.py") if "__pycache__" not in path.parts}
    assert len(folders) > 5

    missing = sorted(f.relative_to(BASE_DIR).as_posix() for f in folders if not (f / "__init__.py").exists())

    assert missing == []
