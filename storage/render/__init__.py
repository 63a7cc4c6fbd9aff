"""Pure renderers of an opened referral for KE staff: a terminal summary and a PDF laid out like
the KE's referral form. They take a `Referral` and what the inbox knows (`CaseInfo`); they never
read keys, files or the clock, so they can be tested on their own."""

from __future__ import annotations

from intake.model import Referral
from storage.render.document import CaseInfo, Document, build_document, identity_verified
from storage.render.labels import LANGUAGES, Labels, Language
from storage.render.text import render_text

__all__ = [
    "LANGUAGES",
    "CaseInfo",
    "Document",
    "Labels",
    "Language",
    "identity_verified",
    "referral_pdf",
    "referral_text",
]


def referral_text(
    referral: Referral, case: CaseInfo | None = None, *, language: Language = "nb", width: int = 100
) -> str:
    return render_text(build_document(referral, case, Labels(language)), width=width)


def referral_pdf(
    referral: Referral,
    case: CaseInfo | None = None,
    *,
    language: Language = "nb",
    compress: bool = True,
) -> bytes:
    # fpdf2 takes about a second to import; only exports pay for it.
    from storage.render.pdf import render_pdf

    labels = Labels(language)
    doc = build_document(referral, case, labels)
    return render_pdf(
        doc, page_label=labels.t("document.page", page="{page}", pages="{pages}"), compress=compress
    )
