"""Whether an error means a service is down (the draft store, the inbox), not a bug: every
channel then tells the person plainly that their last message was not saved and their earlier
answers are kept (Telegram's `tg.unavailable`, the web chat's `unavailable`), and the next
message after the service is back is handled as usual."""

from __future__ import annotations

# A Redis that stops answering (stopped, frozen, cut off) fails a command within this many
# seconds instead of hanging the request; the person is told, and the next one tries again.
REDIS_SOCKET_SECONDS = 5.0


def service_down(error: BaseException) -> bool:
    """True for the errors of a draft store (or inbox) that is unreachable, not for bugs."""
    names = {cls.__name__ for cls in type(error).__mro__}
    modules = {cls.__module__.split(".")[0] for cls in type(error).__mro__}
    redis_errors = {"ConnectionError", "TimeoutError", "LockError", "BusyLoadingError"}
    if "redis" in modules and names & redis_errors:
        return True
    if names & {"OperationalError", "DatabaseUnavailable", "DraftStoreUnavailable"}:
        return True
    return isinstance(error, (ConnectionError, TimeoutError))
