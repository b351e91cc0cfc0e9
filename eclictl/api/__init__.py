"""The one API client (httpx is imported only when a command talks to the panel)."""
