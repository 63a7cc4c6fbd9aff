"""A logging filter that blanks anything that looks personal, as a safety net: our own modules
log only update ids, step ids and timings, but a library (or a future edit) might quote an
update, a request or an exception's text.

Three layers, each tested against a real Bot API update with every personal field filled:
- by field: the value after any field a Bot API update can carry personal data in (names,
  usernames, text, captions, file names, phone numbers, addresses, ...), in every shape a
  library prints it: JSON (`"text": "..."`), a Python dict (`'text': "Kari's"`) and a model's
  repr (`first_name='Kari'`);
- by shape: national ids, phone numbers (8 digits, +47, spaced groups), e-mail addresses, bot
  tokens;
- by origin: a record from outside our packages has every quoted string blanked, and an
  exception attached to any record is reduced to its type.
"""

from __future__ import annotations

import logging
import re
import warnings

REDACTED = "[redacted]"

# Fields of Bot API objects whose values can be personal (Update, Message, User, Chat, Contact,
# Document/Audio/Video/..., Location, Venue, Poll, ExternalReplyInfo, TextQuote, InlineQuery,
# ChosenInlineResult, ShippingAddress, OrderInfo, PassportData, BusinessConnection, Story, ...).
PERSONAL_FIELDS = (
    "first_name",
    "last_name",
    "full_name",
    "username",
    "active_usernames",
    "bio",
    "title",
    "description",
    "text",
    "caption",
    "quote",
    "question",
    "explanation",
    "file_name",
    "performer",
    "phone_number",
    "vcard",
    "email",
    "name",
    "address",
    "street_line1",
    "street_line2",
    "city",
    "state",
    "post_code",
    "country_code",
    "latitude",
    "longitude",
    "horizontal_accuracy",
    "foursquare_id",
    "google_place_id",
    "query",
    "inline_message_id",
    "invite_link",
    "emoji_status_custom_emoji_id",
    "birthdate",
    "day",
    "month",
    "year",
    "author_signature",
    "sender_business_bot",
    "personal_chat",
    "business_intro",
    "business_location",
    "payload",
    "invoice_payload",
    "shipping_option_id",
    "data",
    "hash",
    "secret",
    "url",
)
_FIELDS = "|".join(PERSONAL_FIELDS)
_STRING = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_SCALAR = rf"(?:{_STRING}|-?\d+(?:\.\d+)?|b{_STRING})"
_BY_FIELD = (
    # JSON and dict reprs: "text": "...", 'text': '...'
    re.compile(rf"""((?:"|')(?:{_FIELDS})(?:"|')\s*:\s*)({_SCALAR})"""),
    # model reprs and keyword arguments: text='...', first_name="Kari's"
    re.compile(rf"""(\b(?:{_FIELDS})=)({_SCALAR})"""),
)
_BY_SHAPE = (
    re.compile(r"(?<!\d)\d{11}(?!\d)"),  # national ids (fødselsnummer, d-number)
    re.compile(r"bot\d+:[\w-]+"),  # bot tokens in URLs
    re.compile(r"\b\d+:[\w-]{20,}\b"),  # bare bot tokens
    re.compile(r"\+\d[\d ]{6,}\d"),  # phone numbers with a country code
    re.compile(r"(?<![\d.])(?:\d{2} ?){3}\d{2}(?![\d.])"),  # 8 digits, also as 41 23 45 67
    re.compile(r"(?<![\d.])\d{3} ?\d{2} ?\d{3}(?![\d.])"),  # 412 34 567
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),  # e-mail addresses
)
_QUOTED = re.compile(_STRING)
OUR_PACKAGES = ("bot", "dialogues", "intake", "storage", "bench", "tests", "__main__")


def redact(text: str, *, foreign: bool = False) -> str:
    """`text` with personal values blanked; `foreign` (a library's record) blanks every
    quoted string as well."""
    for pattern in _BY_FIELD:
        text = pattern.sub(lambda m: m.group(1) + f"'{REDACTED}'", text)
    if foreign:
        text = _QUOTED.sub(f"'{REDACTED}'", text)
    for pattern in _BY_SHAPE:
        text = pattern.sub(REDACTED, text)
    return text


def _ours(name: str) -> bool:
    return name.split(".", 1)[0] in OUR_PACKAGES


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        cleaned = redact(message, foreign=not _ours(record.name))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception text can quote request parameters; keep only the type.
            record.exc_text = f"{type(record.exc_info[1]).__name__} (details redacted)"
            record.exc_info = None
        record.stack_info = None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Filter every handler of `logger` (the root logger by default); warnings, which aiogram
    uses to print an update of a kind it does not know, go through logging and the filter."""
    target = logger or logging.getLogger()
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    if not target.handlers:
        target.addFilter(RedactingFilter())
    for handler in target.handlers:
        handler.addFilter(RedactingFilter())
