"""The Telegram channel (aiogram 3): runs the dialogue engine, holds no wording of its own."""
