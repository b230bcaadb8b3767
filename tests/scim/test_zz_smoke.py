import json
from tests.scim.conftest import entra_user, ENTERPRISE, TRAVELPERK

def test_smoke(scim, catalogue, admin_user):
    r = scim.get("Users?filter=userName+eq+%22x%22")
    print(r.status_code, r.content)
    r = scim.post("Users", entra_user())
    print(r.status_code, json.dumps(r.json(), indent=1))
    uid = r.json()["id"]
    r = scim.patch(f"Users/{uid}", [{"op": "Replace", "path": "active", "value": "False"}, {"op":"replace","value":{"name.givenName":"Annie", ENTERPRISE+":manager": str(admin_user.pk)}}])
    print(r.status_code, json.dumps(r.json(), indent=1))
    for p in ["Schemas", "ResourceTypes", "ServiceProviderConfig", "Groups", "Users?attributes=userName", f"Users/{uid}"]:
        r = scim.get(p); print(p, r.status_code, r.content[:300])
    r = scim.delete(f"Users/{uid}"); print(r.status_code, r.content)
    r = scim.delete(f"Users/{uid}"); print(r.status_code, r.content)
