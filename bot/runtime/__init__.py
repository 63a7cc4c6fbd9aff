"""The channel runtime: what every adapter (terminal, Telegram, Rasa, web) stands on.

- `clock`: the Oslo clock; ages and dates are Norwegian calendar days in every channel.
- `context`: the engine's `Context`, built in one place from the settings and the clock.
- `filing`: carrying out the engine's `FileReferral`, with one outcome type for every channel.
- `uploads`: an uploaded file checked once, by its content and the model's limits.
- `resume`: the "welcome back, continue or start over?" offer after a gap.
- `wording`: the lookup of channel texts, problems and client languages.

An adapter only translates between its transport and these channel-neutral values.
"""
