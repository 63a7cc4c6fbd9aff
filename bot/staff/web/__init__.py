"""The KE staff inbox in the browser (`ke-intake staff-web`), run on the KE's side.

Starlette pages rendered on the server (Jinja2), plain forms that work without JavaScript; one
same-origin script only warns before an idle session ends. Login by the municipality's OpenID
Connect provider or by password and TOTP; the person's passphrase unlocks their own private key
for that session only (kept in this process's memory, never in a cookie or on disk).

- `app.py`: `create_app(...)`, the shared context (`Web`), page rendering and the guards.
- `auth.py`: login, OpenID Connect (`oidc.py`), unlock, lock, logout, idle extension.
- `queue.py`: the queue (counts, filters, oldest first) and search; `data.py` what they read.
- `case.py`: one referral, its history and the actions on it.
- `audit.py`: the audit log page with the chain verification.
- `overview.py`: the KE's overview with SVG charts and the same figures as tables.
- `admin.py`: staff accounts (leder only).
- `wording.py` + `texts/{nb,nn,en}.json`: every text staff read on these pages.
"""
