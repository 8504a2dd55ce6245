"""SQLite with a writer queue: Django's backend, plus a lock file that write transactions take in turn."""
