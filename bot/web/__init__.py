"""The citizen web chat: `ke-intake web`. Starlette + Jinja2 over the dialogue engine; every
page works as plain form posts, and `static/chat.js` only saves the reloads."""
