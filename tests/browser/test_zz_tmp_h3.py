import urllib.parse
import pytest
from tests.conftest import PASSWORD
pytestmark = [pytest.mark.django_db(transaction=True)]
def test_shot(page, live_server, admin_user):
    from travelportal.tokens.services import register_entra_application
    entra = register_entra_application()
    q = urllib.parse.urlencode({"response_type": "code", "client_id": entra.application.client_id, "redirect_uri": "https://portal.azure.com/TokenAuthorize", "state": "s"})
    page.goto(f"{live_server.url}/oauth2/authorize/?{q}")
    page.get_by_label("Email").fill(admin_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Authorize App").wait_for()
    page.screenshot(path="/tmp/h3_consent.png", full_page=True)
    page.goto(f"{live_server.url}/oauth2/authorize/?client_id=bad&response_type=code")
    page.screenshot(path="/tmp/h3_error.png", full_page=True)
