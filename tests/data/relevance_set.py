"""A small labelled set for the relevance test: items, and queries with the item each should find.

PARAPHRASES share no word (after stemming) with their target: keyword search cannot find them,
semantic search should. EXACT queries are identifiers and rare names, where words beat meaning.
"""

from __future__ import annotations

ITEMS = {
    'tyre': (
        'Fixing a flat bicycle tyre',
        'Take the wheel off, lever the tyre away from the rim and pull out the inner tube. '
        'Find the hole by listening for hissing air, roughen the rubber, add glue and press a patch on. '
        'Refit the tube and inflate to the pressure printed on the sidewall.',
    ),
    'sourdough': (
        'Keeping a sourdough starter alive',
        'Feed the starter flour and water every day at room temperature, or weekly if it lives in the fridge. '
        'Discard half before each feeding so the yeast and bacteria have fresh food.',
    ),
    'sql_index': (
        'Why the orders query was slow',
        'The query filtered on customer_id without an index, so the database scanned every row. '
        'Adding a composite index on (customer_id, created_at) turned a full table scan into a range seek.',
    ),
    'sleep': (
        'Helping a toddler settle at night',
        'Keep a predictable bedtime routine: bath, pyjamas, two books, lights off at the same time. '
        'Dim the room an hour before and avoid screens.',
    ),
    'tax': (
        'Deducting a home office',
        'If you are self-employed you can claim part of your rent, heating and electricity for the room '
        'you use only for business, in proportion to its floor area.',
    ),
    'git': (
        'Undoing the last commit',
        'Run git reset --soft HEAD~1 to move the branch back one commit while keeping the changes staged. '
        'Use git revert instead when the commit was already pushed to a shared branch.',
    ),
    'running': (
        'Training plan for a first 10k',
        'Three sessions a week for eight weeks: one easy jog, one interval session and one long slow run. '
        'Increase weekly distance by no more than ten percent.',
    ),
    'plants': (
        'Why the basil leaves turn yellow',
        'Yellow leaves usually mean too much water: let the top of the soil dry out between waterings and make '
        'sure the pot drains. Basil also wants six hours of sun.',
    ),
    'vpn': (
        'Error ERR_TUNNEL_0x7F on the office VPN',
        'The client logs ERR_TUNNEL_0x7F when its certificate has expired. Request a new one from the IT portal '
        'and re-import it into the keychain.',
    ),
    'poem': (
        'A haiku about autumn',
        'Maple leaves falling / the creek carries red and gold / toward the quiet lake',
    ),
    'pasta': (
        'Carbonara without cream',
        'Whisk egg yolks with grated pecorino and black pepper, toss with hot spaghetti and crisp guanciale off '
        'the heat so the eggs thicken into a glossy sauce instead of scrambling.',
    ),
    'invoice': (
        'Invoice Q-88417 for the Hartwell account',
        'Invoice Q-88417 covers the March retainer for Hartwell & Sons, due within thirty days.',
    ),
}

# A conversation whose answer message is a target too (semantic search covers messages).
CHAT = (
    'Trip planning',
    'I fly from London to Tokyo next week.',
    'To beat jet lag, shift your sleep an hour a day before leaving, get morning sunlight on arrival '
    'and avoid naps longer than twenty minutes.',
)

# Distractors: plausible neighbours that should not outrank the targets.
DISTRACTORS = [
    ('Car tyre rotation schedule', 'Rotate car tyres every ten thousand kilometres to even out wear.'),
    ('Baking a baguette', 'A baguette needs a very hot oven with steam for a crisp crust.'),
    ('Python list comprehension', 'A list comprehension builds a list from an iterable in one expression.'),
    ('Puppy training basics', 'Reward the puppy immediately when it sits on command.'),
    ('Quarterly sales figures', 'Sales rose four percent in the third quarter, led by the north region.'),
    (
        'Watering succulents',
        'Succulents need very little water; soak the soil and then leave it completely dry.',
    ),
    ('Sonnet about the sea', 'The grey sea heaves beneath a sky of lead, and gulls cry over foam.'),
    ('Meal prep for the week', 'Cook rice, roast vegetables and portion chicken into boxes on Sunday.'),
]

PARAPHRASES = [
    ('my cycle has a puncture, how do I mend it', 'tyre'),
    ('how do I maintain fermented bread culture', 'sourdough'),
    ('database lookup takes ages because it reads the whole thing', 'sql_index'),
    ('my kid will not go to bed', 'sleep'),
    ('can freelancers write off a workspace at home', 'tax'),
    ('revert my most recent change in version control', 'git'),
    ('couch to 10 kilometres race preparation', 'running'),
    ('herb dying, pale foliage', 'plants'),
    ('poetry on fall', 'poem'),
    ('creamy Roman noodle dish', 'pasta'),
    ('adjusting body clock after crossing time zones', 'chat'),
]

EXACT = [
    ('ERR_TUNNEL_0x7F', 'vpn'),
    ('Q-88417', 'invoice'),
    ('Hartwell', 'invoice'),
    ('guanciale', 'pasta'),
]
