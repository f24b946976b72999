"""WSGI entry point: ``gunicorn wsgi:app``. Configuration comes from the environment."""

from custody import create_app

app = create_app()
