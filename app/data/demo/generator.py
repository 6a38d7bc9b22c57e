"""The demo generator: every row of one seeding run, from one random stream in a fixed order."""

from __future__ import annotations

from .content import Content
from .library import Library
from .small_tables import SmallTables


class Generator(SmallTables, Library, Content):
    """Writes one seeding run: ``fixtures()`` (small tables, prompts, agents), then the content chunks
    (``chunks`` / ``insert_chunk``), then ``finish()``."""

    def fixtures(self) -> None:
        self._lookups()
        self._access_rows()
        self._runs()
        self._prompts()
        self._agents()

    def finish(self) -> None:
        """Prompt usage counts follow from what was written (outputs and chat messages per version)."""
        if not self.demo_prompt_ids:
            return
        marks = ', '.join('?' * len(self.demo_prompt_ids))
        with self.db.atomic():
            self.db.execute_sql(
                f"""
                UPDATE prompt SET
                  use_count = (SELECT count(*) FROM output o JOIN prompt_version v ON v.id = o.prompt_version_id
                               WHERE v.prompt_id = prompt.id)
                            + (SELECT count(*) FROM message m JOIN prompt_version v ON v.id = m.prompt_version_id
                               WHERE v.prompt_id = prompt.id),
                  last_used_at = (SELECT max(o.created_at) FROM output o JOIN prompt_version v ON v.id = o.prompt_version_id
                                  WHERE v.prompt_id = prompt.id)
                WHERE id IN ({marks})
                """,
                self.demo_prompt_ids,
            )
