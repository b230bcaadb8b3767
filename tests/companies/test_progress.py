"""Long commands show a progress bar on a terminal and nothing more when their output is
not a terminal (cron, CI, a pipe)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def catalogue_file(tmp_path):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps({"cost_centres": [{"name": f"Centre {n}"} for n in range(5)]}))
    return str(path)


def test_import_catalogue_shows_progress_on_a_terminal(company, catalogue_file):
    out, err = Terminal(), StringIO()

    call_command("import_catalogue", "acme", catalogue_file, stdout=out, stderr=err)

    assert "Writing entries" in err.getvalue()
    assert "5/5" in err.getvalue()
    assert "\x1b[31" not in err.getvalue()  # not coloured as an error
    assert "cost_centres: 5 created" in out.getvalue()


def test_import_catalogue_is_quiet_when_output_is_not_a_terminal(company, catalogue_file):
    out, err = StringIO(), StringIO()

    call_command("import_catalogue", "acme", catalogue_file, stdout=out, stderr=err)

    assert err.getvalue() == ""
    assert out.getvalue().splitlines()[0] == "cost_centres: 5 created, 0 updated, 0 unchanged"


def test_rebuild_shows_progress_over_the_companies_on_a_terminal(company, other_company):
    out, err = Terminal(), StringIO()

    call_command("rebuild_approval_processes", "--all", stdout=out, stderr=err)

    assert "Rebuilding" in err.getvalue()
    assert "2/2" in err.getvalue()
    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == ["acme", "globex"]


def test_rebuild_is_quiet_when_output_is_not_a_terminal(company):
    out, err = StringIO(), StringIO()

    call_command("rebuild_approval_processes", "acme", stdout=out, stderr=err)

    assert err.getvalue() == ""
    assert out.getvalue().startswith("acme: 0 created")
