"""The data layer: the database, the schema and everything read from or written to it (no UI)."""

# Every connect() adds the default lookup rows to a fresh database: ``defaults`` registers that step
# with ``db.on_connect``, so it is imported whenever any part of the data layer is.
from . import defaults as _defaults  # noqa: F401
