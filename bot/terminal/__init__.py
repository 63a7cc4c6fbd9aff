"""The terminal chat: the dialogue engine over standard input and output."""
