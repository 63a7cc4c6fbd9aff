"""A stand-in for Telegram's Bot API: one in-memory core (`FakeTelegram`) served over HTTP by
`BotAPIServer` (end-to-end tests run the real bot process against it) or called directly by
`RecordingSession` (unit tests feed real updates through the real aiogram Dispatcher)."""
