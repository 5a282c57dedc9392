"""Where grades live: the SQLite store, manual overrides and the late rule."""
