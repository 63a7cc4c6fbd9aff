"""The hostile-input catalogue: inputs an attacker or a broken client can send, shared by the
per-channel tests (terminal, `file`, Telegram, the Rasa webhook) so every channel meets the same
list. Each test fails on a crash, a traceback, a stored dangerous value or a leak."""
