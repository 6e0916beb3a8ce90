"""Masking of phone numbers and email addresses in anything shown in a list or export."""
from __future__ import annotations

import re
from typing import Any

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Seven or more digits, optionally with + ( ) spaces dots or dashes between them.
PHONE = re.compile(r"(?<![\w])\+?\(?\d(?:[\s().-]{0,2}\d){6,}(?![\w])")


def mask_email(match: re.Match) -> str:
    local, _, domain = match.group(0).partition("@")
    return f"{local[:1]}•••@•••"


def mask_phone_text(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return "•••-•••-" + digits[-2:] if len(digits) >= 2 else "•••"


def mask(text: Any) -> Any:
    """Text with emails and phone numbers replaced by a masked form."""
    if not isinstance(text, str) or not text:
        return text
    text = EMAIL.sub(mask_email, text)
    return PHONE.sub(_phone_or_date, text)


DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")


def _phone_or_date(match: re.Match) -> str:
    value = match.group(0)
    return value if DATE.fullmatch(value) else mask_phone_text(value)


def mask_phone(phone: str) -> str:
    return mask_phone_text(phone or "")
