"""Server-rendered pages: the family portal (/), the operator console (/console) and a demo
cashier (/cashier). Chinese first, English by a switch; phone-sized first; they work without
JavaScript. Pages only translate: every rule runs in the services."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gongji.web.common import HERE, install_errors, page_middleware


def install(app: FastAPI) -> None:
    """Mount the pages, their static files and their error rendering on the API app."""
    from gongji.web import cashier, console, portal, shop

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (console, cashier, shop, portal):
        app.include_router(module.router)
    app.middleware("http")(page_middleware)
    install_errors(app)
