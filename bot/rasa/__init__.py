"""The Rasa channel: an action server on rasa-sdk and the generator of the Rasa project.

Only this package (and `bot/commands/rasa.py`) imports rasa_sdk. Slot names are canonical field
ids with dots replaced by `__` (see `slots.py` and `dialogues/rasa/README.md`).
"""
