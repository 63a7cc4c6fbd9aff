"""aiogram imported with its Bot API types built when first used, not all at import.

aiogram's types are pydantic models configured with `defer_build`, but `aiogram.types` then
calls `model_rebuild` on every one of its ~400 types at import, with a namespace naming them all
(each type's module imports the types it refers to only for type checkers). That loop was about
70% of `ke-intake telegram`'s start-up (py-spy); this bot uses a few dozen of the types.

`import_aiogram` imports aiogram with those rebuilds left to pydantic's `defer_build`: instead of
building a type, the names of aiogram's namespace are put in the type's module (the names it
imports only under TYPE_CHECKING), where pydantic resolves them whenever it builds the type: at
its first validation, or inside another model that contains it (`Response[Message]`). The
schemas are the same ones, built later and only for the types used (tests/unit/
test_telegram_lazytypes.py: the same parse of full updates and answers either way). Measured
interleaved on the loaded machine: 1.8 s of CPU to the first getUpdates instead of 2.9 s, and
126 MB instead of 195 MB of memory after the imports. If aiogram is already imported (a test
that imported it first), nothing is done.
"""

from __future__ import annotations

import sys
from typing import Any

_TYPES = "aiogram.types"


def import_aiogram() -> None:
    if _TYPES in sys.modules:
        return
    from pydantic import BaseModel

    eager = BaseModel.__dict__["model_rebuild"]

    def deferred(cls: Any, *args: Any, _types_namespace: Any = None, **options: Any) -> Any:
        if _types_namespace is None or args or options or not cls.__module__.startswith(_TYPES):
            return eager.__func__(cls, *args, _types_namespace=_types_namespace, **options)
        # The names the type's module imports only for type checkers: wherever pydantic builds
        # the type (alone, or inside another model), it resolves them in that module.
        names = vars(sys.modules[cls.__module__])
        for name, value in _types_namespace.items():
            names.setdefault(name, value)
        return None

    BaseModel.model_rebuild = classmethod(deferred)  # type: ignore[method-assign,assignment,arg-type]
    try:
        import aiogram.types  # noqa: F401
    finally:
        BaseModel.model_rebuild = eager  # type: ignore[method-assign]
