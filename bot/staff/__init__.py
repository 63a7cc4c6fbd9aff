"""Helpers for the KE staff commands (`ke-intake inbox ...`): texts, passphrase, workflow,
opening referrals and the overview. The command module `bot/commands/inbox.py` wires them up."""
