"""The toll-fraud guard: a callback dials only ordinary numbers in allowed countries.

An agent API token that leaks must not become a way to ring premium-rate or
special-service numbers at the hotline's expense, nor numbers in countries the
hotline has no reason to call. Allowed by default: Japan and the home country of each
supported language (the main country of each calling code in `languages.csv`; for
+1 that is the United States, not the Caribbean numbers behind the same code).
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

REFUSED_TYPES = {
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.UAN: "a universal access (special service) number",
    PhoneNumberType.VOICEMAIL: "a voicemail access number",
    PhoneNumberType.PAGER: "a pager number",
}
# Japanese special-service prefixes (national number, without the trunk 0): Navi Dial
# 0570, Dial Q2 0990, Tele-dome 0180, and 020 (pagers and machine-to-machine lines).
JAPAN_REFUSED_PREFIXES = ("570", "990", "180", "20")


class RefusedDestination(ValueError):
    """This number may not be dialled; the message says why (without the number)."""


@lru_cache(maxsize=1)
def default_countries() -> frozenset[str]:
    from hotline.languages import LANGUAGES

    regions = {"JP"}
    for language in LANGUAGES.values():
        for code in language.calling_codes:
            region = phonenumbers.region_code_for_country_code(int(code))
            if region and region != phonenumbers.UNKNOWN_REGION:
                regions.add(region)
    return frozenset(regions)


def allowed_countries(configured: tuple[str, ...]) -> frozenset[str]:
    return frozenset(configured) if configured else default_countries()


def check_destination(e164: str, configured_countries: tuple[str, ...] = ()) -> str:
    """The country (ISO region) of `e164` if a callback may dial it; else raise."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException as exc:
        raise RefusedDestination("the number cannot be parsed") from exc
    kind = phonenumbers.number_type(number)
    if kind in REFUSED_TYPES:
        raise RefusedDestination(f"the number is {REFUSED_TYPES[kind]}")
    national = str(number.national_number)
    if number.country_code == 81 and national.startswith(JAPAN_REFUSED_PREFIXES):
        raise RefusedDestination("the number is a Japanese special-service number")
    region = phonenumbers.region_code_for_number(number)
    if not region:
        regions = phonenumbers.region_codes_for_country_code(number.country_code or 0)
        if len(regions) != 1:
            raise RefusedDestination("the number's country cannot be determined")
        region = regions[0]
    allowed = allowed_countries(configured_countries)
    if region not in allowed:
        raise RefusedDestination(f"calls to {region} numbers are not allowed")
    return region
