"""Swagger UI for the local gateway: explore the finance API in a browser.

`GET /docs` serves Swagger UI (Powertools' bundled assets, inline: no CDN) over the OpenAPI
document generated from the resolver; `GET /openapi.json` serves the document itself. These
pages exist only on the local gateway; the deployed HTTP API exposes the template's routes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources

DOCS_PATH = "/docs"
SPEC_PATH = "/openapi.json"

Page = tuple[str, bytes]


def _document() -> str:
    from rel2rev.api.openapi import rendered

    return rendered()


def _spec_page() -> Page:
    return "application/json", _document().encode()


def _docs_page() -> Page:
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    assets = resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui")
    html = generate_swagger_html(
        spec=json.dumps(json.loads(_document())),
        swagger_js=(assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        swagger_css=(assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
        persist_authorization=True,
    )
    return "text/html; charset=utf-8", html.encode()


PAGES: dict[str, Callable[[], Page]] = {DOCS_PATH: _docs_page, SPEC_PATH: _spec_page}
"""Extra GET pages of the local gateway, by path."""
