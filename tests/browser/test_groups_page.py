"""Company Settings > Groups in a real browser: an admin opens Groups, searches, opens a
group provisioned by SCIM (read-only, with a note why), gives it a travel policy, and sees
that policy on a member's page, with the group as its source."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_gives_a_group_a_travel_policy_and_sees_it_on_a_members_page(page, live_server, acme_admin, company):
    from travelportal.companies.groups import GroupData, create_group
    from travelportal.companies.models import Group, TravelPolicy, User

    rob = User.objects.create_user("rob@acme.example", None, company=company, given_name="Rob", family_name="Report")
    TravelPolicy.objects.create(company=company, name="Premium")
    sales = create_group(company=company, data=GroupData(display_name="Sales EMEA", members=[str(rob.pk)]))
    create_group(company=company, data=GroupData(display_name="Support"))
    base = live_server.url

    page.goto(f"{base}/accounts/login/?next=/company/people/")
    page.fill("#id_username", acme_admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    # Groups from the sidebar; the search narrows the list.
    page.click("nav.sidebar >> text=Groups")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Groups"
    assert page.locator("table tbody tr").count() == 2
    page.fill("#id_q", "emea")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td[data-label=Members]").inner_text() == "1"

    # The group's page: its member, and the note on what the identity provider manages.
    page.click("table >> text=Sales EMEA")
    page.wait_for_load_state()
    assert "changes there overwrite changes here" in page.locator("#idp-note").inner_text()
    assert page.locator("#group-travel-policy").inner_text() == "None"

    # Give it a travel policy and an order.
    page.click("text=Edit travel policy")
    page.wait_for_load_state()
    assert page.locator("#id_display_name").is_disabled()
    page.select_option("#id_travel_policy", label="Premium")
    page.fill("#id_policy_rank", "5")
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()
    assert "Saved Sales EMEA." in page.content()
    assert page.locator("#group-travel-policy").inner_text() == "Premium"
    assert page.locator("#group-policy-rank").inner_text() == "5"
    assert (Group.objects.get(pk=sales.pk).travel_policy.name, Group.objects.get(pk=sales.pk).policy_rank) == (
        "Premium",
        5,
    )

    # The member's page shows the policy and where it comes from.
    page.click("ul.members >> text=Rob Report")
    page.wait_for_load_state()
    assert page.locator("#travel-policy").inner_text().startswith("Premium")
    assert page.locator("#travel-policy-source").inner_text() == "(from the group Sales EMEA)"
    assert page.locator("#person-groups a").inner_text() == "Sales EMEA"
