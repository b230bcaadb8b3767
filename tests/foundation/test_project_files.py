"""The README, .env.example, Makefile and .ci/run stay true to the code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
# The settings' readers (travelportal.env), and the few places that read os.environ
# directly (prometheus_client's multiprocess directory).
READERS = re.compile(
    r"(?:env_(?:str|bool|int|list|networks|database|redis_url)\(|os\.environ\.get\()\s*\"([A-Z][A-Z0-9_]*)\""
)


def variables_read_by_the_code() -> set[str]:
    names = set()
    for folder in ("travelportal", "scim", "approvals"):
        for path in (BASE_DIR / folder).rglob("*.py"):
            names.update(READERS.findall(path.read_text()))
    return names


def env_example() -> dict[str, str]:
    values = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def test_the_code_reads_the_variables_we_expect():
    # Guards the regular expression below: if it found nothing, the next tests would pass vacuously.
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"} <= variables_read_by_the_code()


def test_the_readme_table_lists_every_environment_variable():
    readme = (BASE_DIR / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", readme, flags=re.MULTILINE))

    assert variables_read_by_the_code() - documented == set()
    assert documented - variables_read_by_the_code() == set()


def test_env_example_lists_every_environment_variable():
    text = (BASE_DIR / ".env.example").read_text()
    listed = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))

    assert variables_read_by_the_code() - listed == set()


def test_the_values_in_env_example_start_the_portal():
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env_example()}
    environ["DJANGO_SETTINGS_MODULE"] = "travelportal.settings"

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr


def test_make_test_runs_the_linters_the_migrations_check_and_pytest():
    result = subprocess.run(
        ["make", "-n", "test"], cwd=BASE_DIR, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    for command in ("ruff check", "ruff format --check", "makemigrations --check --dry-run", "pytest"):
        assert command in result.stdout


def test_make_run_migrates_seeds_and_serves_the_embedded_default():
    result = subprocess.run(["make", "-n", "run"], cwd=BASE_DIR, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    for command in ("manage.py migrate", "manage.py seed_demo", "DEBUG=1", "manage.py runserver 127.0.0.1:8000"):
        assert command in result.stdout
    assert "http://127.0.0.1:8000/scim/v2/" in result.stdout


def test_ci_run_is_an_executable_bash_script():
    script = BASE_DIR / ".ci" / "run"

    assert os.access(script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True, timeout=30).returncode == 0
    assert "make test" in script.read_text()
