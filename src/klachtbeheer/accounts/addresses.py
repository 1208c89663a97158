"""The client's address for django-axes (AXES_CLIENT_IP_CALLABLE).

The same address every rate limit uses (`intake.ratelimit.client_address`, which
follows PROXY_COUNT), or None when it is not an IP address (a request made inside the
process, such as a test client's): axes stores addresses in an IP column.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from klachtbeheer.intake.ratelimit import client_address


def client_ip(request: HttpRequest) -> str | None:
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
