"""The web pages: Django templates + htmx, scoped to the signed-in user's division."""
