"""Prompts get a ``saved`` flag: the library (/prompts) lists the prompts the person saved; the texts that
only came in with a capture or a chat question (kept for provenance) live in "From captures and chats".

Existing databases: a prompt counts as saved (1) unless everything about it says it was made on the fly
from a captured prompt text or a chat question, i.e. it is unsaved (0) only when all of these hold:

- it has exactly one version, and that version produced at least one output or message;
- it was not imported or seeded (no ``source``: captures and chat questions never set one);
- its title is the one made from the first line of its text (a typed name counts as saving);
- nobody touched it: no description, notes, favourite, rating, category, retention plan, keep flag,
  tag or collection.

So prompts made on the prompts page or with ``outputhub prompt add`` (which have a typed title, or
were never used by an output/message), and any prompt with a second version or notes, stay in the
library. ``use_count`` says nothing here: every capture counts a use.
"""

import re

# Frozen copy of app.data.text.first_line_title as it is today (a migration never imports app code).
_MD_PREFIX = re.compile(r'^\s*(?:#{1,6}\s+|[-*+]\s+|>\s*|\d+[.)]\s+)')
_MD_INLINE = re.compile(r'[*_`~]+')


def _first_line_title(text, limit=80):
    for line in (text or '').splitlines():
        line = line.strip()
        if not line or line.startswith('```'):
            continue
        line = _MD_INLINE.sub('', _MD_PREFIX.sub('', line)).strip()
        if not line:
            continue
        if len(line) <= limit:
            return line
        cut = line[:limit].rsplit(' ', 1)[0]
        return (cut if len(cut) > limit // 2 else line[:limit]).rstrip(' ,;:.') + '…'
    return 'Untitled'


CANDIDATES = """
SELECT p.id, p.title, v.body
FROM prompt p JOIN prompt_version v ON v.prompt_id = p.id
WHERE (SELECT COUNT(*) FROM prompt_version w WHERE w.prompt_id = p.id) = 1
  AND p.source_id IS NULL
  AND (p.description IS NULL OR p.description = '')
  AND (p.notes IS NULL OR p.notes = '')
  AND p.favourite = 0 AND p.rating IS NULL AND p.category_id IS NULL
  AND p.retention_id IS NULL AND p.keep = 0
  AND NOT EXISTS (SELECT 1 FROM prompt_tag t WHERE t.prompt_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM collection_prompt c WHERE c.prompt_id = p.id)
  AND (EXISTS (SELECT 1 FROM output o WHERE o.prompt_version_id = v.id)
       OR EXISTS (SELECT 1 FROM message m WHERE m.prompt_version_id = v.id))
"""


def up(migrator, db):
    db.execute_sql('ALTER TABLE prompt ADD COLUMN saved INTEGER NOT NULL DEFAULT 1')
    unsaved = [
        (pid,)
        for pid, title, body in db.execute_sql(CANDIDATES).fetchall()
        if (title or '').strip() == _first_line_title(body)[:255]
    ]
    if unsaved:
        db.cursor().executemany('UPDATE prompt SET saved = 0 WHERE id = ?', unsaved)
    db.execute_sql('CREATE INDEX "prompt_saved_updated_at" ON "prompt" ("saved", "updated_at")')
