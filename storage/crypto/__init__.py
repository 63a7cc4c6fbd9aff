"""Sealing and keys: everything that encrypts, signs or holds key material.

- `envelope.py`: the sealed envelope format (HPKE + Ed25519), see docs/ENVELOPE.md.
- `body.py`: what is inside an envelope (the referral JSON and its attachments).
- `sealer.py`: the `Sealer` the filing use case calls.
- `keys.py`: KE key files (X25519 recipients, the intake service's Ed25519 signing key).
- `errors.py`: the errors this room raises on purpose.
"""
