"""Runs one `ke-intake inbox` action: builds the app for a KE workstation, calls the action and
turns every expected failure into one line on stderr."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.staff.access import StaffError
from bot.staff.texts import t
from intake.texts import language_or_default

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)


def run(action: str, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.settings import Settings
    from storage.crypto.errors import KeyFileError, SealedEnvelopeError
    from storage.inbox import UnknownReference

    settings = Settings()
    lang = args.lang or language_or_default(settings.language)
    args.lang = lang
    app: App | None = None
    try:
        from bot.bootstrap import App

        # A KE workstation never creates the intake's signing key; it only verifies with it.
        app = App.from_settings(settings, intake_side=False)
        return _actions()[action](app, args)
    except StaffError as exc:
        params = dict(exc.params)
        if isinstance(params.get("columns"), tuple):
            from bot.staff.reading import columns

            params["columns"] = columns(params["columns"], lang)
        print(t(exc.key, lang, **params), file=sys.stderr)
    except UnknownReference as exc:
        print(t("unknown_reference", lang, reference=exc.reference), file=sys.stderr)
    except KeyFileError:
        print(t("key_error", lang), file=sys.stderr)
    except SealedEnvelopeError:
        print(t("sealed_error", lang), file=sys.stderr)
    except SQLAlchemyError as exc:
        # The class name only: driver messages may quote SQL parameters.
        log.debug("database error in inbox %s", action, exc_info=True)
        print(t("database_error", lang, what=type(exc).__name__), file=sys.stderr)
    finally:
        if app is not None:
            app.close()
    return 1


def _actions() -> dict[str, Callable[[App, argparse.Namespace], int]]:
    from bot.staff import reading, writing

    return {
        "list": reading.run_list,
        "show": reading.run_show,
        "export": reading.run_export,
        "stats": reading.run_stats,
        "status": writing.run_status,
        "assign": writing.run_assign,
        "reopen": writing.run_reopen,
        "search": reading.run_search,
        "audit": writing.run_audit,
        "purge": writing.run_purge,
        "audit-verify": writing.run_audit_verify,
    }
