"""An individual business operator's ID number is masked on the tenant list; staff allowed to
reveal personal data can show it, and every reveal is audited."""

from baogong.core.identifiers import mask_idcard
from baogong.core.models import AuditEvent

from .conftest import make_idcard


def test_tenant_list_masks_the_operator_id_number(world, client_for):
    full = make_idcard(1)
    page = client_for("property").get("/property/tenants/").content.decode()
    assert mask_idcard(full) in page
    assert full not in page
    assert f"/property/tenants/{world.noodles.pk}/reveal/" not in page  # no permission, no button


def test_commander_reveals_the_operator_id_number_and_it_is_audited(world, client_for, user):
    full = make_idcard(1)
    client = client_for("commander")
    page = client.get("/property/tenants/").content.decode()
    assert f"/property/tenants/{world.noodles.pk}/reveal/" in page
    assert full not in page

    response = client.post(f"/property/tenants/{world.noodles.pk}/reveal/", {"reason": "减免核查"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert f'id="revealed-id-{world.noodles.pk}">{full}<' in response.content.decode()
    event = AuditEvent.objects.get(verb="reveal_personal_data", object_id=str(world.noodles.pk))
    assert event.actor == user("commander")
    assert event.after == {"fields": ["operator_id_number"], "reason": "减免核查"}
    assert full not in str(event.after)
    again = client.get("/property/tenants/").content.decode()
    assert full not in again


def test_reveal_without_the_permission_is_refused_and_not_recorded(world, client_for):
    response = client_for("property").post(f"/property/tenants/{world.noodles.pk}/reveal/", {"reason": "x"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(verb="reveal_personal_data").exists()


def test_reveal_needs_post_and_an_existing_tenant(world, client_for):
    client = client_for("commander")
    assert client.get(f"/property/tenants/{world.noodles.pk}/reveal/").status_code == 405
    assert client.post("/property/tenants/987654321/reveal/").status_code == 404
    assert not AuditEvent.objects.filter(verb="reveal_personal_data").exists()
