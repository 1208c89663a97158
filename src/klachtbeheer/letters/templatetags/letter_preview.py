"""Showing a letter's HTML inside a staff page under the Content-Security-Policy.

A letter carries its own `<style>` block (the same HTML becomes the PDF, which
may fetch nothing). Shown in an `<iframe srcdoc>`, it falls under the page's
policy, which allows no inline style without the request's nonce: the preview
gives the letter's style blocks that nonce, and nothing else changes.
"""

from __future__ import annotations

import re

from django import template

register = template.Library()

_STYLE_TAG = re.compile(r"<style(?=[\s>])", re.IGNORECASE)


@register.filter
def styles_with_nonce(html: str, nonce: str) -> str:
    """The letter's HTML with `nonce` on each of its `<style>` tags (no nonce: unchanged).

    `str()` first: Django's LazyNonce is false until it is made, and only a nonce that
    was made goes into the response's policy.
    """
    value = str(nonce) if nonce is not None else ""
    if not value:
        return html
    return _STYLE_TAG.sub(f'<style nonce="{value}"', str(html))
