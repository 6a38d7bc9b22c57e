"""Item ids in addresses (``/outputs/{id}``, ``/api/v1/outputs/{id}``): whole numbers SQLite can store.
A bigger one can name no row, so FastAPI refuses it like any malformed id (a not-found page, or a 422
sentence from the API) before it reaches a query."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from .data.db import MAX_ROW_ID

ItemId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
FocusId = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]  # ``?m=`` a message to scroll to
