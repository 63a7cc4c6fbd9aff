"""The Telegram channel (aiogram 3): runs the dialogue engine, holds no wording of its own.

Running it:
    KE_TELEGRAM_TOKEN=... ke-intake telegram [--demo]                  # long polling
    KE_TELEGRAM_WEBHOOK_SECRET=... ke-intake telegram --webhook https://bot.example.no \\
        --listen 127.0.0.1:8080                                        # behind a reverse proxy
    KE_TELEGRAM_API_BASE=http://127.0.0.1:8081                         # a self-hosted Bot API

Drafts: aiogram FSM storage (memory, or Redis with KE_REDIS_URL for several workers), encrypted
with KE_DRAFT_KEYS (Fernet keys, newest first; `python -c "from storage.drafts import
generate_key; print(generate_key())"`), keys pseudonymised with KE_ID_HASH_SECRET, expiring after
KE_DRAFT_TTL_HOURS.

Modules: `adapter` (the turn: input -> engine -> messages, filing, clean-up), `render` (keyboards,
splitting), `callbacks` (button data tied to the live keyboard), `conversation` (what is kept per
chat), `fsm` (encrypted storage), `gate` (each update on its own: once, in order per chat, floods
slowed, failures answered), `polling` (long polling no update can stop; the webhook's parser),
`retry` (Bot API retries), `redact` (log filter), `router` and `runner` (wiring and running),
`wording` (text keys), `lazytypes` (aiogram imported with its types built when first used).
"""

from bot.telegram.lazytypes import import_aiogram

import_aiogram()  # before any module of this package imports aiogram
