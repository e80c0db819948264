from django.db import migrations

from baogong.command.checklists import DEFAULT_ITEMS, DEFAULT_TEMPLATE


def create(apps, schema_editor):
    Template = apps.get_model("command", "ChecklistTemplate")
    Item = apps.get_model("command", "ChecklistItem")
    template, _created = Template.objects.get_or_create(code=DEFAULT_TEMPLATE[0], defaults={"name": DEFAULT_TEMPLATE[1]})
    for position, (code, text) in enumerate(DEFAULT_ITEMS, start=1):
        Item.objects.get_or_create(template=template, code=code, defaults={"position": position, "text": text})


class Migration(migrations.Migration):
    dependencies = [("command", "0001_communications_inspections")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
