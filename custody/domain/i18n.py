"""Message marking for the domain layer.

The domain must not import Flask-Babel, yet its messages are shown to users in Chinese or
English. ``N_`` marks a string for extraction (pybabel is configured with ``-k N_``) and returns
it unchanged; the web and API layers translate it with ``gettext`` when they render it.
"""


def N_(message: str) -> str:
    return message
