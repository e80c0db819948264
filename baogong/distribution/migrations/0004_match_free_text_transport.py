"""Free-text vehicles and drivers of existing shipments become registered ones where that is certain.

A shipment whose plate names a registered vehicle (plates are unique) gets that vehicle's id; one
whose driver name and phone match exactly one registered driver gets that driver's id. A shipment
with typed text that matches nothing (or several drivers) keeps its text and is flagged
``transport_legacy``: never silently dropped. See docs/decisions/0005-registered-transport.md.
"""

from collections import defaultdict

from django.db import migrations


def _normal_plate(value):
    return "".join(value.split()).upper()


def match_transport(apps, schema_editor):
    Shipment = apps.get_model("distribution", "Shipment")
    Vehicle = apps.get_model("fleet", "Vehicle")
    Driver = apps.get_model("fleet", "Driver")
    by_plate = {_normal_plate(plate): pk for pk, plate in Vehicle.objects.values_list("pk", "plate")}
    drivers = defaultdict(list)
    for pk, name, phone in Driver.objects.values_list("pk", "name", "phone"):
        drivers[(name.strip(), phone.strip())].append(pk)
    todo = Shipment.objects.filter(vehicle_id__isnull=True).exclude(vehicle_plate="") | Shipment.objects.filter(
        driver_id__isnull=True
    ).exclude(driver_name="")
    for shipment in todo.order_by("pk"):
        unmatched = False
        if shipment.vehicle_id is None and shipment.vehicle_plate:
            shipment.vehicle_id = by_plate.get(_normal_plate(shipment.vehicle_plate))
            unmatched |= shipment.vehicle_id is None
        if shipment.driver_id is None and shipment.driver_name:
            found = drivers.get((shipment.driver_name.strip(), shipment.driver_phone.strip()), [])
            shipment.driver_id = found[0] if len(found) == 1 else None
            unmatched |= shipment.driver_id is None
        shipment.transport_legacy = unmatched
        shipment.save(update_fields=["vehicle_id", "driver_id", "transport_legacy"])


class Migration(migrations.Migration):
    dependencies = [
        ("distribution", "0003_shipment_registered_transport"),
        ("fleet", "0005_alter_routeplan_status"),
    ]

    operations = [migrations.RunPython(match_transport, migrations.RunPython.noop)]
