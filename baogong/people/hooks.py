"""What apps above people plug into its pages, filled in their ``AppConfig.ready()``.

The command centre's incident playbook (处置清单) is shown on people's incident page, but
command sits above people in the import layers: it registers a section renderer here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

    from baogong.people.models import Incident

# ``section(request, incident)`` → HTML (already escaped, a ``SafeString``) shown on the incident page.
IncidentSection = Callable[["HttpRequest", "Incident"], str]

INCIDENT_SECTIONS: list[IncidentSection] = []


def register_incident_section(section: IncidentSection) -> None:
    if section not in INCIDENT_SECTIONS:
        INCIDENT_SECTIONS.append(section)
