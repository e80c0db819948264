"""PDF documents rendered from HTML templates with WeasyPrint and an embedded CJK font.

Templates extend ``core/pdf_base.html``; fonts come from the system (Debian's
fonts-wqy-zenhei, installed by ``.ci/run``) through fontconfig, so Chinese renders and is
embedded (subset) in the PDF. Nothing is fetched from the network: URLs resolve only to
``data:`` URIs and the app's own static files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string

PDF_CONTENT_TYPE = "application/pdf"


def _local_fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        """``data:`` URIs and the app's own static files; anything else is refused."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path_part = url.removeprefix("file://")
            if "/static/" in path_part or path_part.startswith("static/"):
                found = finders.find(path_part.split("static/", 1)[1])
                if found:
                    return super().fetch(Path(str(found)).resolve().as_uri(), headers)
            raise ValueError(f"refusing to fetch {url!r} while rendering a PDF")

    return LocalOnlyFetcher(fail_on_errors=False)


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, url_fetcher=_local_fetcher(), base_url="/").write_pdf()


def pdf_response(template: str, context: dict[str, Any], filename: str) -> HttpResponse:
    response = HttpResponse(render_pdf(template, context), content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
