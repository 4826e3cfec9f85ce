"""The store: SQLAlchemy Core over SQLite (default) or PostgreSQL. The only place with SQL."""

from toolkit.store.core import Store, Stored, Watcher, database_url, open_store

__all__ = ["Store", "Stored", "Watcher", "database_url", "open_store"]
