"""What the inbox commands say to KE staff, in bokmål (default), nynorsk and English.

One line per message: staff scripts and humans both read them, and an error is always one line
on stderr with a non-zero exit code.
"""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    # -- errors ------------------------------------------------------------------------------
    "unknown_reference": {
        "nb": "Fant ingen melding med referanse {reference}.",
        "nn": "Fann inga melding med referanse {reference}.",
        "en": "No referral with reference {reference}.",
    },
    "key_error": {
        "nb": "Nøkkelfilen kan ikke brukes: feil passordfrase, feil type fil eller skadet fil.",
        "nn": "Nøkkelfila kan ikkje brukast: feil passordfrase, feil type fil eller skadd fil.",
        "en": "The key file cannot be used: wrong passphrase, wrong kind of file or damaged.",
    },
    "key_missing": {
        "nb": "Fant ikke nøkkelfilen {path}.",
        "nn": "Fann ikkje nøkkelfila {path}.",
        "en": "Key file not found: {path}.",
    },
    "sealed_error": {
        "nb": "Meldingen kan ikke åpnes: nøkkelen passer ikke, eller konvolutten er skadet "
        "eller forfalsket.",
        "nn": "Meldinga kan ikkje opnast: nøkkelen passar ikkje, eller konvolutten er skadd "
        "eller forfalska.",
        "en": "The referral cannot be opened: the key does not fit, or the envelope is damaged "
        "or forged.",
    },
    "no_verify_keys_open": {
        "nb": "Innsendingstjenestens verifiseringsnøkkel (signing.pub) er ikke installert i "
        "{folder}; uten den kan ingen melding åpnes trygt.",
        "nn": "Verifiseringsnøkkelen til innsendingstenesta (signing.pub) er ikkje installert i "
        "{folder}; utan han kan inga melding opnast trygt.",
        "en": "The intake service's verification key (signing.pub) is not installed in "
        "{folder}; without it no referral can be opened safely.",
    },
    "no_terminal": {
        "nb": "Ingen terminal å spørre om passordfrasen i; sett KE_KEY_PASSPHRASE.",
        "nn": "Ingen terminal å spørje om passordfrasen i; set KE_KEY_PASSPHRASE.",
        "en": "No terminal to ask for the passphrase; set KE_KEY_PASSPHRASE.",
    },
    "passphrase_prompt": {
        "nb": "Passordfrase for nøkkelen: ",
        "nn": "Passordfrase for nøkkelen: ",
        "en": "Passphrase for the key: ",
    },
    "database_error": {
        "nb": "Innboksen er ikke tilgjengelig ({what}).",
        "nn": "Innboksen er ikkje tilgjengeleg ({what}).",
        "en": "The inbox is not available ({what}).",
    },
    "out_exists": {
        "nb": "Filen {path} finnes allerede; velg et annet navn eller bruk --force.",
        "nn": "Fila {path} finst allereie; vel eit anna namn eller bruk --force.",
        "en": "The file {path} already exists; choose another name or use --force.",
    },
    "out_unwritable": {
        "nb": "Kan ikke skrive {path}.",
        "nn": "Kan ikkje skrive {path}.",
        "en": "Cannot write {path}.",
    },
    "no_recipient_keys": {
        "nb": "Mottaker {recipient} har ingen registrert nøkkel; notatet kan ikke forsegles.",
        "nn": "Mottakar {recipient} har ingen registrert nøkkel; notatet kan ikkje forseglast.",
        "en": "Recipient {recipient} has no registered key; the note cannot be sealed.",
    },
    "empty_note": {
        "nb": "Notatet kan ikke være tomt.",
        "nn": "Notatet kan ikkje vere tomt.",
        "en": "The note cannot be empty.",
    },
    "empty_name": {
        "nb": "Navnet kan ikke være tomt.",
        "nn": "Namnet kan ikkje vere tomt.",
        "en": "The name cannot be empty.",
    },
    # -- workflow ----------------------------------------------------------------------------
    "unknown_status": {
        "nb": "Ukjent status {status}; velg en av: {choices}.",
        "nn": "Ukjend status {status}; vel ein av: {choices}.",
        "en": "Unknown status {status}; choose one of: {choices}.",
    },
    "outcome_needed": {
        "nb": "Avslutning krever --outcome, en av: {choices}.",
        "nn": "Avslutning krev --outcome, ein av: {choices}.",
        "en": "Closing needs --outcome, one of: {choices}.",
    },
    "outcome_only_closing": {
        "nb": "--outcome brukes bare sammen med status closed.",
        "nn": "--outcome blir berre brukt saman med status closed.",
        "en": "--outcome goes only with status closed.",
    },
    "same_status": {
        "nb": "Meldingen har allerede status {status}.",
        "nn": "Meldinga har allereie status {status}.",
        "en": "The referral already has status {status}.",
    },
    "bad_transition": {
        "nb": "Status kan ikke endres fra {old} til {new}.",
        "nn": "Status kan ikkje endrast frå {old} til {new}.",
        "en": "The status cannot change from {old} to {new}.",
    },
    "closed_final": {
        "nb": "Meldingen er avsluttet ({outcome}); en avsluttet sak kan ikke endres.",
        "nn": "Meldinga er avslutta ({outcome}); ei avslutta sak kan ikkje endrast.",
        "en": "The referral is closed ({outcome}); a closed case cannot be changed.",
    },
    "needs_coordinator": {
        "nb": "Oppnevn koordinator først: ke-intake inbox assign {reference} --coordinator NAVN "
        "--by NAVN.",
        "nn": "Oppnemn koordinator først: ke-intake inbox assign {reference} --coordinator NAMN "
        "--by NAMN.",
        "en": "Appoint a coordinator first: ke-intake inbox assign {reference} --coordinator NAME "
        "--by NAME.",
    },
    # -- success -----------------------------------------------------------------------------
    "status_set": {
        "nb": "{reference}: status er nå {status}. Notatet er forseglet.",
        "nn": "{reference}: status er no {status}. Notatet er forsegla.",
        "en": "{reference}: status is now {status}. The note is sealed.",
    },
    "withdrawn_purge": {
        "nb": "Trukket tilbake: meldingen slettes ved neste `ke-intake inbox purge`.",
        "nn": "Trekt tilbake: meldinga blir sletta ved neste `ke-intake inbox purge`.",
        "en": "Withdrawn: the referral is deleted at the next `ke-intake inbox purge`.",
    },
    "assigned": {
        "nb": "{reference}: {coordinator} er oppnevnt som koordinator.",
        "nn": "{reference}: {coordinator} er oppnemnd som koordinator.",
        "en": "{reference}: {coordinator} is appointed coordinator.",
    },
    "exported": {
        "nb": "Eksportert til {path}.",
        "nn": "Eksportert til {path}.",
        "en": "Exported to {path}.",
    },
    "attachment_written": {
        "nb": "Vedlegg skrevet til {path}.",
        "nn": "Vedlegg skrive til {path}.",
        "en": "Attachment written to {path}.",
    },
    "attachment_missing": {
        "nb": "Vedlegget {n} ligger ikke i konvolutten (ettersendes?).",
        "nn": "Vedlegget {n} ligg ikkje i konvolutten (blir ettersendt?).",
        "en": "Attachment {n} is not in the envelope (to be sent later?).",
    },
    "purged": {
        "nb": "Slettet {count} melding(er) (avsluttet for mer enn {days} dager siden, eller "
        "trukket tilbake).",
        "nn": "Sletta {count} melding(ar) (avslutta for meir enn {days} dagar sidan, eller "
        "trekt tilbake).",
        "en": "Deleted {count} referral(s) (closed more than {days} days ago, or withdrawn).",
    },
    "audit_ok": {
        "nb": "Revisjonsloggen er hel: {count} oppføringer. Kontrollsum: {head}",
        "nn": "Revisjonsloggen er heil: {count} oppføringar. Kontrollsum: {head}",
        "en": "The audit log is intact: {count} entries. Head hash: {head}",
    },
    "audit_bad": {
        "nb": "Revisjonsloggen er endret eller skadet fra oppføring {index} (nr. {seq} av "
        "{count}).",
        "nn": "Revisjonsloggen er endra eller skadd frå oppføring {index} (nr. {seq} av {count}).",
        "en": "The audit log is altered or damaged from entry {index} (no. {seq} of {count}).",
    },
    # -- list --------------------------------------------------------------------------------
    "empty_inbox": {
        "nb": "Ingen meldinger.",
        "nn": "Ingen meldingar.",
        "en": "No referrals.",
    },
    "no_verify_keys": {
        "nb": "Merk: ingen verifiseringsnøkkel for innsendingstjenesten er installert "
        "(signing.pub); signaturene kan ikke kontrolleres.",
        "nn": "Merk: ingen verifiseringsnøkkel for innsendingstenesta er installert "
        "(signing.pub); signaturane kan ikkje kontrollerast.",
        "en": "Note: no verification key of the intake service is installed (signing.pub); "
        "signatures cannot be checked.",
    },
    "col_reference": {"nb": "Referanse", "nn": "Referanse", "en": "Reference"},
    "col_kommune": {"nb": "Kommune", "nn": "Kommune", "en": "Kommune"},
    "col_received": {"nb": "Mottatt", "nn": "Motteken", "en": "Received"},
    "col_status": {"nb": "Status", "nn": "Status", "en": "Status"},
    "col_channel": {"nb": "Kanal", "nn": "Kanal", "en": "Channel"},
    "col_coordinator": {"nb": "Koordinator", "nn": "Koordinator", "en": "Coordinator"},
    "col_notes": {"nb": "Merknad", "nn": "Merknad", "en": "Notes"},
    "unverified_chat": {
        "nb": "identitet ikke verifisert (chat)",
        "nn": "identitet ikkje verifisert (chat)",
        "en": "identity unverified (chat)",
    },
    "unverified_file": {
        "nb": "identitet ikke verifisert (fil)",
        "nn": "identitet ikkje verifisert (fil)",
        "en": "identity unverified (file)",
    },
    "forged": {
        "nb": "SIGNATUR UGYLDIG – mulig forfalsket",
        "nn": "SIGNATUR UGYLDIG – mogleg forfalska",
        "en": "SIGNATURE INVALID – possibly forged",
    },
    "unchecked": {
        "nb": "signatur ikke kontrollert",
        "nn": "signatur ikkje kontrollert",
        "en": "signature not checked",
    },
    "count_line": {
        "nb": "{count} melding(er).",
        "nn": "{count} melding(ar).",
        "en": "{count} referral(s).",
    },
    # -- show --------------------------------------------------------------------------------
    "history": {
        "nb": "== Saksgang ==",
        "nn": "== Saksgang ==",
        "en": "== Case history ==",
    },
    "note_unreadable": {
        "nb": "(notatet kan ikke åpnes)",
        "nn": "(notatet kan ikkje opnast)",
        "en": "(the note cannot be opened)",
    },
    "attachment_sealed": {
        "nb": "Vedlegg {n} ligger forseglet i meldingen; hent det med `inbox export {reference} "
        "--attachments`.",
        "nn": "Vedlegg {n} ligg forsegla i meldinga; hent det med `inbox export {reference} "
        "--attachments`.",
        "en": "Attachment {n} is sealed in the referral; get it with `inbox export {reference} "
        "--attachments`.",
    },
    "access_logged": {
        "nb": "Tilgangen er logget i revisjonsloggen ({actor}).",
        "nn": "Tilgangen er logga i revisjonsloggen ({actor}).",
        "en": "This access is recorded in the audit log ({actor}).",
    },
    # -- stats -------------------------------------------------------------------------------
    "stats_title": {
        "nb": "Oversikt for koordinerende enhet",
        "nn": "Oversikt for koordinerande eining",
        "en": "Overview for the coordinating unit",
    },
    "stats_total": {"nb": "Meldinger i alt", "nn": "Meldingar i alt", "en": "Referrals in all"},
    "stats_by_status": {"nb": "Etter status", "nn": "Etter status", "en": "By status"},
    "stats_by_outcome": {
        "nb": "Avsluttede, etter utfall",
        "nn": "Avslutta, etter utfall",
        "en": "Closed, by outcome",
    },
    "stats_by_month": {
        "nb": "Mottatt per måned",
        "nn": "Motteke per månad",
        "en": "Received per month",
    },
    "stats_by_channel": {"nb": "Etter kanal", "nn": "Etter kanal", "en": "By channel"},
    "stats_by_request": {
        "nb": "Etter hva det meldes behov for",
        "nn": "Etter kva det blir meldt behov for",
        "en": "By what is requested",
    },
    "stats_request_needs_key": {
        "nb": "(krever --key: innholdet er forseglet)",
        "nn": "(krev --key: innhaldet er forsegla)",
        "en": "(needs --key: the content is sealed)",
    },
    "stats_unopened": {
        "nb": "kunne ikke åpnes",
        "nn": "kunne ikkje opnast",
        "en": "could not be opened",
    },
    "stats_waiting": {
        "nb": "Ventetid fra mottak til koordinator er oppnevnt",
        "nn": "Ventetid frå mottak til koordinator er oppnemnd",
        "en": "Waiting time from receipt to coordinator appointed",
    },
    "stats_waiting_line": {
        "nb": "median {median}, lengst {max} ({count} saker)",
        "nn": "median {median}, lengst {max} ({count} saker)",
        "en": "median {median}, longest {max} ({count} cases)",
    },
    "stats_waiting_none": {
        "nb": "ingen saker med oppnevnt koordinator ennå",
        "nn": "ingen saker med oppnemnd koordinator enno",
        "en": "no case has an appointed coordinator yet",
    },
    "stats_still_waiting": {
        "nb": "Venter fortsatt på koordinator",
        "nn": "Ventar framleis på koordinator",
        "en": "Still waiting for a coordinator",
    },
    "stats_still_waiting_line": {
        "nb": "{count} saker, lengst {max}",
        "nn": "{count} saker, lengst {max}",
        "en": "{count} cases, longest {max}",
    },
    "stats_coordinators": {
        "nb": "Koordinatorer og sakene deres",
        "nn": "Koordinatorar og sakene deira",
        "en": "Coordinators and their cases",
    },
    "days": {"nb": "{n} dager", "nn": "{n} dagar", "en": "{n} days"},
    "hours": {"nb": "{n} timer", "nn": "{n} timar", "en": "{n} hours"},
}


def t(key: str, lang: str, **params: Any) -> str:
    entry = TEXTS[key]
    template = entry.get(lang) or entry["nb"]
    return template.format(**params) if params else template
