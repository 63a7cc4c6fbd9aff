"""An address typed on one line ("Kirkeveien 12B, 0368 Oslo"): street, postcode and city.

Only what is there is found; nothing is guessed. A postcode counts only where it cannot be a
house number: before a city name or after a comma. Poststed is not derived from the postcode:
no well-kept package ships Norway's postcode register (see README), so it is asked when missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake.text import clean_text, tidy_name

# "Storgata 1, 6991 Høyanger", "Storgata 1 6991 Høyanger", "Storgata 1, 6991"
_WITH_CITY = re.compile(
    r"^(?P<street>.*?[^\W\d_].*?)\s*[,\s]\s*(?P<postcode>\d{4})\s*,?\s+(?P<city>[^\W\d_][^\d]*)$"
)
_POSTCODE_ONLY = re.compile(r"^(?P<street>.*?[^\W\d_].*?)\s*,\s*(?P<postcode>\d{4})$")


@dataclass(frozen=True, slots=True)
class AddressParts:
    street: str
    postcode: str | None = None
    city: str | None = None


def split_address(raw: str) -> AddressParts:
    """The parts of a one-line address; the whole text is the street when nothing else is
    recognisable ("Storgata 1234" keeps its number: a house number may have four digits)."""
    text = clean_text(raw, max_length=300).strip(" ,")
    for pattern in (_WITH_CITY, _POSTCODE_ONLY):
        m = pattern.match(text)
        if m:
            parts = m.groupdict()
            city = parts.get("city")
            return AddressParts(
                street=parts["street"].strip(" ,"),
                postcode=parts["postcode"],
                city=tidy_name(city.strip(" ,.")) if city else None,
            )
    return AddressParts(street=text)
