"""The WSGI entry point: ``gunicorn wsgi:app``."""

from mooc_portal import create_app

app = create_app()
