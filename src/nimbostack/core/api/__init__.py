"""The ASGI API framework every service uses: routes, requests, errors, versions."""

from nimbostack.core.api.app import Route, build_app
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response

__all__ = ["ApiRequest", "Route", "build_app", "empty", "json_response"]
