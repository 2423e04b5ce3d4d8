"""The TLS context every REST client of this process shares.

Building one loads the system's certificate authorities: tens of milliseconds of CPU,
which a new httpx client would otherwise spend on the event loop each time (a service
login, an image import). ``context()`` builds it once; entry points call it before
their event loop starts.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
