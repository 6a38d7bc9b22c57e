"""Revoke the API tokens and devices that ``outputhub seed`` and the demo profile made before seeded
credentials became unusable: they came from the seeded random generator, so anyone with the code could
recompute the tokens. They are recognised by their demo names and by dates before the demo's fixed
reference date (seeded timestamps all lie before it); the list is frozen here on purpose."""

from datetime import UTC, datetime

REFERENCE_DATE = '2026-11-01 09:00:00'

SEEDED_TOKEN_NAMES = (
    'Tasker on Pixel',
    'HTTP Shortcuts (Android share)',
    'iOS Shortcut on iPhone 15',
    'Obsidian plugin',
    'Raycast extension',
    'Home Assistant',
    'n8n workflow',
    'Backup script on NAS',
    'Alfred workflow (old laptop)',
    'Browser clipper',
    'Zapier import test',
)

SEEDED_DEVICE_NAMES = (
    'Pixel 8',
    'Pixel 7a (old)',
    'iPhone 15',
    'iPad Air',
    'Galaxy Tab S9',
    'Work laptop (Firefox)',
    'Living-room Chromebook',
    'OnePlus 12',
    "Partner's phone",
    'Kitchen tablet',
    'MacBook (Safari)',
)


def up(migrator, db):
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(' ')
    for table, names in (('api_token', SEEDED_TOKEN_NAMES), ('device', SEEDED_DEVICE_NAMES)):
        marks = ', '.join('?' for _ in names)
        db.execute_sql(
            f'UPDATE "{table}" SET revoked_at = ? WHERE revoked_at IS NULL AND created_at < ? AND name IN ({marks})',
            (now, REFERENCE_DATE, *names),
        )
    # a revoked seeded token stays unusable even if someone clears revoked_at by hand
    marks = ', '.join('?' for _ in SEEDED_TOKEN_NAMES)
    db.execute_sql(
        "UPDATE api_token SET token_hash = 'seeded:' || token_hash "
        f"WHERE created_at < ? AND name IN ({marks}) AND token_hash NOT LIKE 'seeded:%'",
        (REFERENCE_DATE, *SEEDED_TOKEN_NAMES),
    )
