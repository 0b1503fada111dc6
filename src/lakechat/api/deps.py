"""Small request dependencies shared by the routes."""

from __future__ import annotations

from fastapi import Request

from lakechat.api.services import AppServices


def services(request: Request) -> AppServices:
    result: AppServices = request.app.state.services
    return result
