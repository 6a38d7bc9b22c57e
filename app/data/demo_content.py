"""Hand-written domain templates for the demo data: topics, prompts, agents, collections and fixtures.

Placeholders in ``{key}`` form are filled from a per-item context (see ``demo.py``); ``{{var}}`` in
prompt bodies are real template variables and stay in the stored prompt versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Topic:
    """One subject a user asks models about, with everything needed to write believable items on it."""

    key: str
    category: str
    tags: tuple[str, ...]
    vars: dict[str, tuple[str, ...]]
    titles: tuple[str, ...]
    asks: tuple[str, ...]
    followups: tuple[str, ...]
    headings: tuple[str, ...]
    intros: tuple[str, ...]
    points: tuple[str, ...]
    outros: tuple[str, ...]
    table: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # (header, row templates)
    code: tuple[str, tuple[str, ...]] | None = None  # (language, templates)
    tool: tuple[str, tuple[str, ...]] | None = None  # (tool name, hidden tool results)
    sensitive: bool = False  # more often Confidential / Secret
    prose: bool = False  # answers are running text (an email), not a sectioned document
    notes: tuple[str, ...] = field(default=())


# Names used in several topics.
FUNCTIONS = (
    'parse_invoice',
    'load_config',
    'sync_inventory',
    'build_report',
    'normalise_address',
    'fetch_orders',
    'merge_customers',
    'calculate_discount',
    'export_csv',
    'validate_payload',
    'resize_images',
    'send_reminders',
)
MODULES = ('billing', 'inventory', 'reports', 'auth', 'notifications', 'importer', 'scheduler', 'search')
TABLES = ('orders', 'customers', 'invoices', 'events', 'line_items', 'page_views', 'subscriptions')
COLUMNS = ('customer_id', 'created_at', 'status', 'region', 'sku', 'user_id', 'plan')
PRODUCTS = (
    'Lumen',
    'Trailhead',
    'Cobalt Notes',
    'Pocketbook',
    'Brightside CRM',
    'Fieldkit',
    'Harbor',
    'Quillstack',
    'Northwind Pay',
    'Tidy Inbox',
)

GENERIC_TAGS = ('reference', 'to-review', 'shared', 'gold')


TOPICS: tuple[Topic, ...] = (
    Topic(
        key='python-refactor',
        category='Coding',
        tags=('python', 'refactoring', 'clean-code'),
        vars={'fn': FUNCTIONS, 'module': MODULES, 'exc': ('ValueError', 'KeyError', 'TimeoutError')},
        titles=(
            'Refactor {fn}() into small, testable pieces',
            'Untangling the nested loops in {module}.{fn}',
            'Type hints and dataclasses for the {module} module',
            'Replacing the god function {fn}() in {module}',
            'Cleaner error handling for {fn}',
        ),
        asks=(
            'Refactor this function to remove the nested loops and make it testable. Keep the behaviour identical.\n\n```python\ndef {fn}(rows):\n    out = []\n    for r in rows:\n        if r:\n            for k in r.keys():\n                if k.startswith("x_"):\n                    out.append((k, r[k]))\n    return out\n```',
            'Can you refactor {fn}() in our {module} module? It is 180 lines, mixes I/O with parsing and swallows every exception.',
            'Refactor this to use dataclasses and type hints, Python 3.12. The function is `{module}.{fn}`.',
        ),
        followups=(
            'Can you also add type hints?',
            'Write pytest tests for the new version.',
            'What if rows can be None?',
            'Make it a generator instead of building a list.',
            'Explain why you split it that way.',
        ),
        headings=('Refactored `{fn}`', 'A cleaner `{module}.{fn}`', 'Refactoring plan for `{fn}`'),
        intros=(
            'The original `{fn}` mixes three jobs: reading the input, filtering it and shaping the result. Splitting them makes each piece testable on its own and removes the nesting.',
            'Most of the complexity comes from the early-continue logic and the `{exc}` that is caught and ignored. Below is a version with the same behaviour, fewer branches and explicit errors.',
            'I kept the public signature of `{fn}` so callers in `{module}` do not change. Everything else moved into small pure helpers.',
        ),
        points=(
            'Extracted the filtering into `_wanted_keys()`, a pure function that is trivial to test.',
            'Replaced the nested loops with a generator expression; the result is built in one pass.',
            'Raised `{exc}` with a message instead of silently returning an empty list.',
            'Added type hints (`Iterable[Mapping[str, Any]]`) so mypy catches misuse at the call sites.',
            'Moved the magic prefix `"x_"` into a module constant `EXTRA_PREFIX`.',
            'Kept the function free of I/O: loading and saving now happen in the caller.',
            'Used `dataclasses.dataclass(frozen=True)` for the record instead of a bare dict.',
            'Removed the mutable default argument that leaked state between calls.',
        ),
        outros=(
            'Behaviour is unchanged for every input I could think of; the tests below pin it down.',
            'If you want, I can also write a property-based test with Hypothesis for the edge cases.',
            'Run your existing test suite before merging: the only visible change is the clearer error.',
        ),
        table=(
            ('Aspect', 'Before', 'After'),
            (
                'Lines | {a} | {b}',
                'Cyclomatic complexity | {c} | {d}',
                'Nesting depth | 4 | 1',
                'Test coverage | {p}% | 100%',
                'Exceptions swallowed | {d} | 0',
            ),
        ),
        code=(
            'python',
            (
                'from collections.abc import Iterable, Iterator, Mapping\nfrom typing import Any\n\nEXTRA_PREFIX = "x_"\n\n\ndef _wanted_keys(row: Mapping[str, Any]) -> Iterator[str]:\n    return (k for k in row if k.startswith(EXTRA_PREFIX))\n\n\ndef {fn}(rows: Iterable[Mapping[str, Any] | None]) -> list[tuple[str, Any]]:\n    return [(k, row[k]) for row in rows if row for k in _wanted_keys(row)]',
                'from dataclasses import dataclass\n\n\n@dataclass(frozen=True)\nclass Record:\n    id: int\n    name: str\n    amount_cents: int\n\n\ndef {fn}(raw: dict) -> Record:\n    try:\n        return Record(id=int(raw["id"]), name=raw["name"].strip(), amount_cents=round(float(raw["amount"]) * 100))\n    except (KeyError, TypeError) as exc:\n        raise {exc}(f"bad record: {{raw!r}}") from exc',
                'def {fn}(path: Path) -> Report:\n    rows = read_rows(path)          # I/O at the edge\n    valid = [r for r in rows if is_valid(r)]\n    return summarise(valid)        # pure, easy to test',
            ),
        ),
        notes=(
            'Merged in PR #{big}.',
            'Good pattern, reuse for the {module} cleanup.',
            'The generator version was slower for small inputs; kept the list.',
        ),
    ),
    Topic(
        key='python-testing',
        category='Coding',
        tags=('python', 'testing', 'pytest'),
        vars={'fn': FUNCTIONS, 'module': MODULES},
        titles=(
            'pytest suite for {module}.{fn}',
            'Parametrised tests for {fn}()',
            'Fixtures and factories for the {module} tests',
            'Property-based tests for {fn} with Hypothesis',
        ),
        asks=(
            'Write pytest tests for `{module}.{fn}`. Cover the happy path, empty input and invalid data. Use parametrize.',
            'Our tests for {module} are slow and share state. How should I restructure the fixtures?',
            'Generate Hypothesis property tests for {fn}().',
        ),
        followups=(
            'Add a test for the timeout case.',
            'Can you use tmp_path instead of a real directory?',
            'How do I mock the HTTP call?',
            'Make the fixture session-scoped.',
        ),
        headings=('Tests for `{fn}`', 'A pytest suite for `{module}`', 'Testing `{fn}` properly'),
        intros=(
            'Here is a test module that pins down the behaviour of `{fn}` before you refactor it. It uses `pytest.mark.parametrize` for the table of cases and a fixture for the sample data.',
            'The slowness comes from the module-scoped database fixture that every test mutates. Give each test its own temporary database and the suite becomes both faster and order-independent.',
        ),
        points=(
            'One parametrised test covers the {c} input shapes instead of {c} copies of the same test.',
            'The fixture builds data with a small factory, so each test states only what matters to it.',
            'Use `tmp_path` for files; never write into the repository during a test.',
            'Freeze time with a fixture rather than sleeping.',
            'Mark the two network tests with `@pytest.mark.integration` and skip them by default.',
            'Assert on behaviour a caller sees (the return value, the raised error), not on private helpers.',
        ),
        outros=(
            'Run with `pytest -q -x` while iterating; the full suite should now take about {c} seconds.',
            'Add `--cov={module}` once you are happy with the cases to see what is still untested.',
        ),
        table=(
            ('Case', 'Input', 'Expected'),
            (
                'happy path | 3 valid rows | 3 records',
                'empty | `[]` | `[]`',
                'missing key | `{{"id": 1}}` | `KeyError`',
                'bad amount | `"12,5"` | `ValueError`',
                'unicode | `"Zoë"` | unchanged',
            ),
        ),
        code=(
            'python',
            (
                'import pytest\n\nfrom {module} import {fn}\n\n\n@pytest.mark.parametrize(\n    ("rows", "expected"),\n    [\n        ([], []),\n        ([{{"x_a": 1}}], [("x_a", 1)]),\n        ([None, {{"b": 2}}], []),\n    ],\n)\ndef test_{fn}(rows, expected):\n    assert {fn}(rows) == expected\n\n\ndef test_{fn}_rejects_bad_input():\n    with pytest.raises(ValueError):\n        {fn}([{{"x_a": object()}}])',
                'import pytest\n\n\n@pytest.fixture\ndef db(tmp_path):\n    database = connect(tmp_path / "test.db")\n    yield database\n    database.close()\n\n\ndef test_{fn}_uses_fresh_db(db):\n    assert count_rows(db) == 0',
                'from hypothesis import given, strategies as st\n\n\n@given(st.lists(st.dictionaries(st.text(), st.integers())))\ndef test_{fn}_never_crashes(rows):\n    result = {fn}(rows)\n    assert len(result) <= sum(len(r) for r in rows)',
            ),
        ),
        notes=('Copied into tests/test_{module}.py.', 'Hypothesis found a real bug with empty keys.'),
    ),
    Topic(
        key='sql-tuning',
        category='Coding',
        tags=('sql', 'postgresql', 'performance'),
        vars={'table': TABLES, 'col': COLUMNS},
        titles=(
            'Why is the {table} query slow? (EXPLAIN ANALYZE)',
            'Index strategy for {table}.{col}',
            'Rewriting the monthly {table} report without a correlated subquery',
            'Pagination on {table} without OFFSET',
        ),
        asks=(
            'This query takes {b} ms on {table} ({big}k rows). Here is the EXPLAIN ANALYZE output. How do I make it fast?\n\n```sql\nSELECT * FROM {table} WHERE {col} = $1 ORDER BY created_at DESC LIMIT 50;\n```',
            'Which indexes should {table} have? We filter by {col} and sort by created_at.',
            'Rewrite this report query so it does not use a correlated subquery per row.',
        ),
        followups=(
            'Would a partial index help here?',
            'What about the write overhead of that index?',
            'How does this change on SQLite?',
            'Can you show the keyset pagination version?',
        ),
        headings=('Speeding up the `{table}` query', 'Index plan for `{table}`', 'Query rewrite'),
        intros=(
            'The plan shows a sequential scan over all of `{table}` followed by a sort: Postgres has no index that serves both the filter on `{col}` and the ordering. A composite index fixes both at once.',
            'The correlated subquery runs once per row of `{table}`, which is why the time grows with the table. A single aggregation joined back once does the same work in one pass.',
        ),
        points=(
            'Create `({col}, created_at DESC)` as a composite index; the planner can then stop after 50 rows.',
            'Avoid `SELECT *`: list the columns so an index-only scan becomes possible.',
            'Replace `OFFSET` with keyset pagination (`WHERE created_at < $last`) for deep pages.',
            'Run `ANALYZE {table}` after bulk loads so the statistics match reality.',
            "A partial index `WHERE status = 'open'` is a fraction of the size if most rows are closed.",
            'Check `pg_stat_statements` for the total time, not just the slowest single call.',
        ),
        outros=(
            'After the index, the same query should run in well under {c} ms.',
            'Measure before and after with `EXPLAIN (ANALYZE, BUFFERS)`; the buffer counts tell the real story.',
        ),
        table=(
            ('Query', 'Before (ms)', 'After (ms)', 'Plan'),
            (
                'latest 50 by {col} | {b} | {c} | Index Scan',
                'monthly totals | {a} | {d} | HashAggregate',
                'deep page 200 | {b} | {c} | Index Scan (keyset)',
                'count per status | {a} | {c} | Index Only Scan',
            ),
        ),
        code=(
            'sql',
            (
                'CREATE INDEX CONCURRENTLY {table}_{col}_created_idx\n    ON {table} ({col}, created_at DESC);\n\nSELECT id, {col}, created_at\nFROM {table}\nWHERE {col} = $1\nORDER BY created_at DESC\nLIMIT 50;',
                "WITH totals AS (\n    SELECT {col}, date_trunc('month', created_at) AS month, sum(amount) AS total\n    FROM {table}\n    GROUP BY 1, 2\n)\nSELECT t.*, c.name\nFROM totals t\nJOIN customers c USING (customer_id)\nORDER BY month DESC;",
                'SELECT id, created_at\nFROM {table}\nWHERE (created_at, id) < ($1, $2)\nORDER BY created_at DESC, id DESC\nLIMIT 50;',
            ),
        ),
        notes=(
            'Index added in migration {big}; p95 dropped a lot.',
            'Check again once {table} passes 10M rows.',
        ),
    ),
    Topic(
        key='typescript-debug',
        category='Coding',
        tags=('typescript', 'react', 'debugging'),
        vars={
            'component': (
                'CheckoutForm',
                'UserMenu',
                'OrderTable',
                'SearchBox',
                'InvoiceList',
                'SettingsPanel',
            ),
            'hook': ('useOrders', 'useDebounce', 'useAuth', 'useInfiniteScroll'),
        },
        titles=(
            'Fix: {component} re-renders in a loop',
            'Stale state in {hook} after navigation',
            'Typing the props of {component} without `any`',
            'Why does {component} flicker on first load?',
        ),
        asks=(
            'My React component {component} re-renders forever. It uses {hook} inside a useEffect. What is wrong?',
            "TypeScript says `Type 'undefined' is not assignable` in {component}. How should I type this properly?",
            'Debug this: {hook} returns stale data after I navigate back.',
        ),
        followups=(
            'Do I need useCallback here too?',
            'How would I test this with React Testing Library?',
            'What about strict mode double effects?',
        ),
        headings=(
            'Fixing the render loop in `{component}`',
            'Why `{hook}` goes stale',
            'Typing `{component}`',
        ),
        intros=(
            'The effect depends on an object that is re-created on every render, so React sees a new dependency each time and runs the effect again, which sets state, which renders again.',
            'The hook captures the value from the first render in its closure. When you navigate back, the component is reused but the closure is not refreshed.',
        ),
        points=(
            'Move the options object out of the component or wrap it in `useMemo`.',
            'Depend on primitive values (`userId`) rather than whole objects.',
            'Return a cleanup function from the effect to cancel the in-flight request.',
            'Use a discriminated union for the loading / error / data states instead of three booleans.',
            'Turn on `strictNullChecks`; it would have flagged this at compile time.',
            'React 18 strict mode runs effects twice in development: make the effect idempotent.',
        ),
        outros=(
            'With these changes the component renders twice on mount (strict mode) and then stays quiet.',
            'If the flicker persists, record a profile in React DevTools and look for the commit that changes the key.',
        ),
        code=(
            'tsx',
            (
                'type State<T> =\n  | {{ status: "loading" }}\n  | {{ status: "error"; error: Error }}\n  | {{ status: "ready"; data: T }};\n\nexport function {component}({{ userId }}: {{ userId: string }}) {{\n  const options = useMemo(() => ({{ userId, pageSize: 20 }}), [userId]);\n  const state = {hook}(options);\n  if (state.status !== "ready") return <Spinner />;\n  return <List items={{state.data}} />;\n}}',
                'useEffect(() => {{\n  const controller = new AbortController();\n  fetch(`/api/orders?user=${{userId}}`, {{ signal: controller.signal }})\n    .then((r) => r.json())\n    .then(setOrders)\n    .catch((e) => e.name !== "AbortError" && setError(e));\n  return () => controller.abort();\n}}, [userId]);',
            ),
        ),
        notes=('Same bug in {component}Mobile.', 'The AbortController trick fixed the race too.'),
    ),
    Topic(
        key='devops',
        category='Infrastructure',
        tags=('docker', 'devops', 'ci-cd', 'bash'),
        vars={
            'service': ('api', 'worker', 'web', 'scheduler', 'gateway'),
            'tool': ('GitHub Actions', 'GitLab CI', 'Docker Compose', 'systemd', 'Caddy'),
        },
        titles=(
            'Smaller Docker image for the {service} service',
            'Zero-downtime deploys of {service} with {tool}',
            'Backup script for the {service} database',
            'CI pipeline: cache dependencies in {tool}',
        ),
        asks=(
            'Our Docker image for {service} is 1.{c} GB. How do I make it smaller and faster to build?',
            'Write a bash script that backs up the Postgres database of {service} nightly and keeps 14 days.',
            'Set up {tool} to run tests and deploy {service} on every push to main.',
        ),
        followups=(
            'How do I run it as a non-root user?',
            'Add a health check.',
            'What if the backup disk is full?',
            'Can we cache the pip downloads?',
        ),
        headings=('A lean image for `{service}`', 'Deploying `{service}` with {tool}', 'Nightly backups'),
        intros=(
            'Most of the size comes from build tools left in the final image. A multi-stage build compiles wheels in one stage and copies only the results into a slim runtime image.',
            'The script below is safe to run from cron: it fails loudly, never overwrites the last good backup, and prunes old files only after a successful dump.',
        ),
        points=(
            'Use a multi-stage build; the runtime stage starts from `python:3.12-slim`.',
            'Copy the lock file first so the dependency layer is cached between builds.',
            'Run as an unprivileged user (`USER app`).',
            'Add a `HEALTHCHECK` so the orchestrator restarts a hung container.',
            'Use `set -euo pipefail` so a failed step stops the script.',
            'Keep secrets in the environment or a secrets manager, never in the image.',
            'Pin base images by digest for reproducible builds.',
        ),
        outros=(
            'Expect the image to drop to roughly {d}0 MB and rebuilds to take seconds when only code changes.',
            'Test the restore path once a month; a backup you have never restored is only a hope.',
        ),
        table=(
            ('Stage', 'Base image', 'Size'),
            (
                'builder | python:3.12 | 1.{c} GB',
                'runtime | python:3.12-slim | {d}0 MB',
                'distroless | gcr.io/distroless/python3 | {c}0 MB',
            ),
        ),
        code=(
            'bash',
            (
                '#!/usr/bin/env bash\nset -euo pipefail\n\nBACKUP_DIR=/var/backups/{service}\nSTAMP=$(date +%Y-%m-%d)\nmkdir -p "$BACKUP_DIR"\n\npg_dump --format=custom "$DATABASE_URL" > "$BACKUP_DIR/{service}-$STAMP.dump.tmp"\nmv "$BACKUP_DIR/{service}-$STAMP.dump.tmp" "$BACKUP_DIR/{service}-$STAMP.dump"\n\nfind "$BACKUP_DIR" -name \'*.dump\' -mtime +14 -delete',
                'FROM python:3.12 AS builder\nWORKDIR /src\nCOPY requirements.lock .\nRUN pip wheel --wheel-dir /wheels -r requirements.lock\n\nFROM python:3.12-slim\nRUN useradd --create-home app\nCOPY --from=builder /wheels /wheels\nRUN pip install --no-cache-dir /wheels/* && rm -rf /wheels\nCOPY . /app\nUSER app\nHEALTHCHECK CMD curl -fs http://localhost:8000/health || exit 1\nCMD ["gunicorn", "{service}.wsgi"]',
                'name: ci\non:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-python@v5\n        with:\n          python-version: "3.12"\n          cache: pip\n      - run: pip install -r requirements.lock\n      - run: pytest -q',
            ),
        ),
        notes=('Deployed to staging.', 'Remember to rotate the backup bucket key.'),
    ),
    Topic(
        key='data-analysis',
        category='Data & analytics',
        tags=('pandas', 'data-analysis', 'visualisation'),
        vars={
            'dataset': (
                'sales_2025.csv',
                'churn.parquet',
                'web_traffic.csv',
                'survey_results.xlsx',
                'support_tickets.csv',
            ),
            'metric': ('revenue', 'churn rate', 'conversion rate', 'average order value', 'response time'),
        },
        titles=(
            'What drives {metric}? A first look at {dataset}',
            'Cleaning {dataset} with pandas',
            'Monthly {metric} by region, with a chart',
            'Cohort analysis of {metric}',
        ),
        asks=(
            'I uploaded {dataset}. Can you analyse what drives {metric} and plot it by month?',
            'Clean this dataset: duplicate rows, dates as strings, and "N/A" in numeric columns.',
            'Build a cohort table of {metric} by signup month.',
        ),
        followups=(
            'Can you break it down by region?',
            'Is the difference statistically significant?',
            'Export the cleaned data as CSV.',
            'Use a log scale for the chart.',
        ),
        headings=('Analysis of `{dataset}`', 'What moves {metric}', 'Cleaning `{dataset}`'),
        intros=(
            'The file has {big} rows and {c} columns. After removing {d} duplicates and parsing the dates, {metric} shows a clear seasonal pattern with a peak in the fourth quarter.',
            'Three things explain most of the variation in {metric}: the acquisition channel, the plan, and whether the customer used the product in their first week.',
        ),
        points=(
            'Parsed `order_date` with `pd.to_datetime(..., errors="coerce")`; {d} rows had invalid dates.',
            'Replaced `"N/A"` and empty strings with `NaN` before converting numeric columns.',
            '{metric} is {p}% higher for customers who activated in week one.',
            'The North region is flat year over year; all growth comes from the South and West.',
            'Correlation is not causation here: the paid channel also gets the larger accounts.',
            'Outliers above the 99th percentile were capped, not dropped.',
        ),
        outros=(
            'Next step: a simple regression with channel, plan and activation as predictors.',
            'The notebook cells below reproduce every number in this summary.',
        ),
        table=(
            ('Segment', 'Customers', '{metric}', 'Change'),
            (
                'Self-serve | {big} | {p}% | +{d}%',
                'Sales-led | {a} | {p}% | -{d}%',
                'Partner | {b} | {p}% | +{c}%',
                'Enterprise | {c}{d} | {p}% | +{d}%',
            ),
        ),
        code=(
            'python',
            (
                'import pandas as pd\n\ndf = pd.read_csv("{dataset}")\ndf = df.drop_duplicates()\ndf["order_date"] = pd.to_datetime(df["order_date"], errors="coerce")\nnum = ["amount", "quantity"]\ndf[num] = df[num].replace({{"N/A": None, "": None}}).apply(pd.to_numeric)\n\nmonthly = df.set_index("order_date").resample("MS")["amount"].sum()\nmonthly.plot(title="Monthly revenue")',
                'cohort = (\n    df.assign(cohort=df["signup_date"].dt.to_period("M"),\n              period=(df["order_date"].dt.to_period("M") - df["signup_date"].dt.to_period("M")).apply(lambda p: p.n))\n      .pivot_table(index="cohort", columns="period", values="customer_id", aggfunc="nunique")\n)\nretention = cohort.div(cohort[0], axis=0).round(3)',
            ),
        ),
        tool=(
            'python',
            (
                '   order_date  region   amount\n0  2025-01-03   North   129.90\n1  2025-01-03   South    54.00\n2  2025-01-04    West   310.45\n[{big} rows x {c} columns]',
                'month\n2025-01    {big}\n2025-02    {a}\n2025-03    {b}\nFreq: MS, Name: amount, dtype: float64',
                "Index(['order_date', 'region', 'channel', 'plan', 'amount', 'quantity'], dtype='object')",
            ),
        ),
        notes=(
            'Shared the chart with {first} on the growth team.',
            'Numbers differ slightly from the BI dashboard.',
        ),
    ),
    Topic(
        key='ml-research',
        category='Research',
        tags=('machine-learning', 'papers', 'summary'),
        vars={
            'paper': (
                'Attention Is All You Need',
                'Retrieval-Augmented Generation for Knowledge-Intensive NLP',
                'LoRA: Low-Rank Adaptation of Large Language Models',
                'Chain-of-Thought Prompting Elicits Reasoning',
                'Scaling Laws for Neural Language Models',
                'Direct Preference Optimization',
            ),
            'idea': ('retrieval', 'fine-tuning', 'evaluation', 'tokenisation', 'quantisation'),
        },
        titles=(
            'Summary: {paper}',
            'Key ideas and limits of "{paper}"',
            'Reading notes on {idea} papers',
            'How {paper} compares with later work',
        ),
        asks=(
            'Summarise the paper "{paper}" for an engineer: the idea, the results, and the limitations.',
            'What are the most important papers on {idea} since 2022? One paragraph each.',
            'Explain the method section of "{paper}" like I know linear algebra but not the field.',
        ),
        followups=(
            'What did later papers improve on?',
            'Is there open-source code for this?',
            'How would I apply this to a small dataset?',
        ),
        headings=('{paper}', 'Notes on {idea}', 'Paper summary'),
        intros=(
            'The paper argues that {idea} can be done far more cheaply than the prevailing approach, and backs this with experiments on several benchmarks.',
            'In one sentence: the authors replace an expensive, hand-tuned step with a simple learned component, and it works better at every scale they try.',
        ),
        points=(
            'Core idea: keep the large model frozen and learn a small component on top.',
            'Results: matches or beats the baseline on most benchmarks with a fraction of the compute.',
            'Limitation: evaluation is mostly on English, academic benchmarks.',
            'Limitation: the ablations do not separate the effect of data from the effect of the method.',
            'Practical takeaway: worth trying first before any full fine-tune.',
            'Follow-up work extends the idea to multimodal models.',
        ),
        outros=(
            'If you read one section, read the ablations: they show where the gains really come from.',
            "I am summarising from the paper's abstract and sections I know well; double-check numbers against the PDF.",
        ),
        table=(
            ('Method', 'Params trained', 'Score'),
            (
                'Full fine-tune | 100% | {p}.{c}',
                'Adapter | {c}% | {p}.{d}',
                'This paper | 0.{c}% | {p}.{a}',
            ),
        ),
        tool=(
            'web_search',
            (
                '1. arxiv.org — {paper} (v{c})\n2. paperswithcode.com — {paper}: code and benchmarks\n3. blog post: "A visual guide to {idea}"',
                'Search results for "{idea} survey 2025": 8 results, 3 from arxiv.org',
            ),
        ),
        notes=('Check the reported numbers against the PDF.', 'Good intro for the reading group.'),
    ),
    Topic(
        key='meeting-notes',
        category='Work & meetings',
        tags=('meetings', 'summary', 'action-items'),
        vars={
            'meeting': (
                'weekly sync',
                'sprint planning',
                'Q3 kickoff',
                'customer call',
                'design review',
                'retro',
            ),
        },
        titles=(
            'Summary of the {meeting} on {date}',
            'Action items from the {meeting} with {company}',
            '{meeting}: decisions and owners',
        ),
        asks=(
            'Summarise the following meeting notes into decisions, action items with owners, and open questions:\n\n{first}: we need the pricing page before launch\n{first2}: legal has not approved the new terms yet\n…',
            'Turn this transcript of our {meeting} into a one-page summary for people who missed it.',
            'Extract every action item with its owner and due date from these notes.',
        ),
        followups=(
            'Make it shorter, five bullets max.',
            'Write the follow-up email to the attendees.',
            'Which items have no owner?',
        ),
        headings=('{meeting} — {date}', 'Meeting summary', 'Decisions and actions'),
        intros=(
            'Attendees: {first}, {first2}, {first3} and a guest from {company}. The meeting focused on the launch timeline and the open legal question.',
            'Short version: the launch moves by one week, pricing is final, and legal review is the only blocker.',
        ),
        points=(
            'Decision: launch date moves to {date}.',
            'Decision: keep the current pricing tiers; revisit after {c} weeks of data.',
            'Open question: who owns customer communication for the migration?',
            'Risk: the {company} integration depends on an API they have not released yet.',
            'The team agreed to cut the export feature from the first release.',
            'Next sync moves to {weekday}.',
        ),
        outros=(
            'Reply to this summary if anything is missing; it goes into the project log on {weekday}.',
            'Items without an owner are marked TBD: please claim them.',
        ),
        table=(
            ('Action', 'Owner', 'Due'),
            (
                'Finish pricing page copy | {first} | {date}',
                'Chase legal approval | {first2} | {date2}',
                'Draft migration email | {first3} | {date2}',
                'Update the roadmap slide | {first} | {date3}',
                'Book follow-up with {company} | TBD | {date3}',
            ),
        ),
        sensitive=True,
        notes=('Sent to the team channel.', 'Legal item still open.'),
    ),
    Topic(
        key='email-draft',
        category='Writing',
        tags=('email', 'tone', 'communication'),
        vars={
            'purpose': (
                'declining a meeting',
                'asking for a raise',
                'chasing an unpaid invoice',
                'apologising for a missed deadline',
                'introducing two colleagues',
                'following up after an interview',
            ),
        },
        titles=(
            'Email: {purpose}',
            'Polite draft for {purpose}',
            'Firm but friendly: {purpose}',
        ),
        asks=(
            'Write an email to {name} at {company} {purpose}. Friendly but firm, under 150 words.',
            'Rewrite my draft so it sounds less defensive: it is about {purpose}.',
            'Give me three subject lines for an email {purpose}.',
        ),
        followups=('Make it warmer.', 'Shorter please.', 'Now translate it into German.', 'More formal.'),
        headings=('Draft', 'Email draft: {purpose}', 'Suggested reply'),
        intros=(
            '**Subject:** Quick follow-up\n\nHi {first},\n\nThank you for your message. I wanted to get back to you about the points we discussed on {weekday}.',
            '**Subject:** Invoice {big} — friendly reminder\n\nDear {name},\n\nI hope all is well at {company}. I am writing about invoice {big}, which was due on {date}.',
        ),
        points=(
            'Could you let me know by {weekday} whether that works for you?',
            'I have attached the summary so you have everything in one place.',
            'If it helps, I am happy to jump on a 15-minute call.',
            'I understand things are busy on your side, and I appreciate your help.',
            'Please let me know if anything is unclear.',
        ),
        outros=(
            'Best regards,\n{first2}',
            'Thanks again, and have a great {weekday}.\n\n{first2}',
            'Kind regards,\n{first2}\n\n---\n*Tone: friendly, direct. Length: about 120 words.*',
        ),
        prose=True,
        notes=('Sent with small edits.', 'The German version needed fixes.'),
    ),
    Topic(
        key='marketing-copy',
        category='Marketing',
        tags=('copywriting', 'landing-page', 'seo'),
        vars={
            'product': PRODUCTS,
            'audience': ('freelancers', 'small agencies', 'finance teams', 'teachers', 'indie developers'),
        },
        titles=(
            'Landing page hero for {product}',
            '{product}: headline variants for {audience}',
            'SEO meta descriptions for {product}',
            'Launch announcement for {product}',
        ),
        asks=(
            'Write a landing page hero for {product}, a tool for {audience}. Headline, subheadline, CTA. Three variants.',
            'Edit this copy to be punchier and remove the jargon: "{product} leverages synergies to empower {audience}."',
            'Write five meta descriptions (under 155 characters) for the {product} pricing page.',
        ),
        followups=(
            'Less hype, more concrete.',
            'Give me a version for LinkedIn.',
            'Which variant would you A/B test first?',
        ),
        headings=('{product} — hero copy', 'Headline variants for {audience}', 'Launch copy'),
        intros=(
            'Three directions, from plain to bold. Each leads with the outcome {audience} care about, not the feature list.',
            'I cut the jargon ("leverage", "synergy", "empower") and replaced it with what the product actually does.',
        ),
        points=(
            '**Headline A:** Stop chasing invoices. {product} does it for you.',
            '**Headline B:** The calm way for {audience} to run their week.',
            "**Headline C:** Everything {audience} need, nothing they don't.",
            '**Subheadline:** Set it up in five minutes. Cancel any time.',
            '**CTA:** Start free — no card needed.',
            '**Proof line:** Trusted by {big} {audience} in {c}0 countries.',
        ),
        outros=(
            'My pick to test first: headline A, because it names a pain in five words.',
            'Keep the CTA the same across variants so the test measures the headline only.',
        ),
        table=(
            ('Variant', 'Characters', 'Tone'),
            ('A | {c}{d} | direct', 'B | {d}{c} | calm', 'C | {c}{c} | bold'),
        ),
        notes=('Variant A won the test by {p}%.', 'Send to {first} for brand review.'),
    ),
    Topic(
        key='product-spec',
        category='Product',
        tags=('product-management', 'user-stories', 'requirements'),
        vars={
            'feature': (
                'bulk export',
                'team workspaces',
                'two-factor login',
                'usage-based billing',
                'offline mode',
                'audit log',
            ),
            'product': PRODUCTS,
        },
        titles=(
            'User stories for {feature} in {product}',
            'One-page spec: {feature}',
            'Acceptance criteria for {feature}',
        ),
        asks=(
            'Write user stories with acceptance criteria for {feature} in {product}.',
            'Challenge this spec for {feature}: what is missing, what is risky?',
            'Draft a one-page PRD for {feature}: problem, goals, non-goals, metrics.',
        ),
        followups=('What would the MVP be?', 'Add edge cases for admins.', 'How would we measure success?'),
        headings=('{feature} for {product}', 'Spec: {feature}', 'User stories'),
        intros=(
            '**Problem.** Customers on larger plans ask for {feature} in {c} of the last {c}0 sales calls; today they work around it with spreadsheets.',
            'The spec is solid on the happy path but says little about permissions, failure cases and migration of existing data.',
        ),
        points=(
            'As an admin, I want to enable {feature} for my team so that nobody has to ask me.',
            'As a member, I want to see who changed what so that I can trust the data.',
            'Non-goal: no custom roles in the first release.',
            'Metric: {p}% of teams on the Business plan use {feature} within 30 days.',
            'Risk: the migration of existing accounts needs a rollback plan.',
            'Given a user without permission, when they open the page, then they see a clear explanation.',
        ),
        outros=(
            'Suggested MVP: the first three stories; the rest after we see usage.',
            'Open question for design: where does {feature} live in the navigation?',
        ),
        table=(
            ('Story', 'Priority', 'Estimate'),
            (
                'Enable {feature} | Must | {c} days',
                'Audit trail | Should | {d} days',
                'Admin overview | Could | {c} days',
                "API access | Won't (now) | —",
            ),
        ),
        sensitive=True,
        notes=('Reviewed with {first}.', 'Estimates are rough.'),
    ),
    Topic(
        key='explain-concept',
        category='Learning',
        tags=('explainer', 'statistics', 'study-notes'),
        vars={
            'concept': (
                'p-values',
                "Bayes' theorem",
                'gradient descent',
                'the central limit theorem',
                'public-key cryptography',
                'compound interest',
                'entropy',
            ),
        },
        titles=(
            'Explain {concept} simply',
            '{concept} with a worked example',
            'Common misconceptions about {concept}',
        ),
        asks=(
            'Explain {concept} to me like I am a smart 15-year-old, with one worked example.',
            'What do people usually get wrong about {concept}?',
            'Give me three exercises on {concept} with solutions.',
        ),
        followups=(
            'Another example please.',
            'Where is this used in practice?',
            'Can you draw it as a diagram?',
        ),
        headings=('{concept}, simply', 'Understanding {concept}', 'A worked example'),
        intros=(
            'Start with the question {concept} answers, not the formula. Once the question is clear, the formula is just bookkeeping.',
            'Here is the intuition first, then a small example with real numbers, then the two mistakes everyone makes.',
        ),
        points=(
            'Intuition: you update what you believe in proportion to how surprising the evidence is.',
            'Worked example: with {c} in {big} people affected, a {p}% accurate test still gives mostly false alarms.',
            'Misconception: it is not the probability that the hypothesis is true.',
            'In practice it shows up in spam filters, A/B tests and medical screening.',
            'Rule of thumb: always ask what the base rate is.',
        ),
        outros=(
            'Try the exercise: change the base rate and see how the answer moves.',
            'If this clicked, the next step is confidence intervals.',
        ),
        table=(
            ('', 'Test positive', 'Test negative'),
            ('Has it | {c} | {d}', 'Does not | {a} | {big}'),
        ),
        notes=('Used for the study group.', 'Clearer than the textbook.'),
    ),
    Topic(
        key='travel-plan',
        category='Travel',
        tags=('travel', 'itinerary', 'budget-travel'),
        vars={
            'destination': (
                'Kyoto',
                'Lisbon',
                'the Scottish Highlands',
                'Mexico City',
                'Vienna',
                'Hanoi',
                'Cape Town',
            ),
        },
        titles=(
            '{c}-day itinerary for {destination}',
            '{destination} on a budget',
            'Rainy-day plan B for {destination}',
        ),
        asks=(
            'Plan a {c}-day trip to {destination} in spring for two people who like food and walking, mid budget.',
            'What should I know before travelling to {destination}? Transport, money, etiquette.',
            'We land in {destination} at 6 pm on a {weekday}. What is a relaxed first evening?',
        ),
        followups=(
            'Swap the museum day for something outdoors.',
            'What would this cost roughly?',
            'Add a day trip.',
        ),
        headings=('{destination} in {c} days', 'Trip plan: {destination}', 'Before you go'),
        intros=(
            'The plan keeps mornings for the big sights (fewer crowds) and leaves afternoons loose for food and wandering. Each day stays in one neighbourhood to avoid long transfers.',
            'Spring is a great time for {destination}: mild weather, but book the popular places two weeks ahead.',
        ),
        points=(
            '**Day 1:** old town walk, early dinner near the hotel.',
            '**Day 2:** main museum at opening time, market lunch, sunset viewpoint.',
            '**Day 3:** day trip by train (about {c}0 minutes each way).',
            'Get a transit card on arrival; it works on buses and trains.',
            'Cards are accepted almost everywhere, but carry some cash for markets.',
            'Tipping: small or none; check local custom.',
        ),
        outros=(
            'Budget: roughly {big} for two, excluding flights.',
            'Check opening days: many museums close on Mondays.',
        ),
        table=(
            ('Day', 'Morning', 'Afternoon', 'Evening'),
            (
                '1 | arrive | old town | tapas bar',
                '2 | museum | market | viewpoint',
                '3 | day trip | day trip | rest',
                '4 | gardens | shopping | farewell dinner',
            ),
        ),
        tool=(
            'web_search',
            (
                'Opening hours: the main museum is open 10:00–18:00, closed Mondays.',
                'Train timetable {destination} → coast: every 30 min, {c}0 min.',
            ),
        ),
        notes=('Booked the hotel from this plan.', '{first} wants to add a cooking class.'),
    ),
    Topic(
        key='meal-plan',
        category='Health & fitness',
        tags=('cooking', 'meal-planning', 'nutrition'),
        vars={
            'diet': ('vegetarian', 'high-protein', 'low-FODMAP', 'budget', 'Mediterranean'),
            'ingredient': ('chickpeas', 'salmon', 'tofu', 'lentils', 'sweet potatoes', 'spinach'),
        },
        titles=(
            'A week of {diet} dinners',
            'What to cook with {ingredient}',
            '{diet} meal prep for busy weekdays',
        ),
        asks=(
            'Plan five {diet} dinners for two, under 30 minutes each, with a shopping list.',
            'I have {ingredient}, rice and a lemon. What can I make tonight?',
            'Make a Sunday meal-prep plan that covers {diet} lunches for the week.',
        ),
        followups=('No mushrooms please.', 'Scale it to four people.', 'Roughly how much protein per day?'),
        headings=('{diet} dinners', 'Cooking with {ingredient}', 'Meal-prep plan'),
        intros=(
            'Five dinners that share ingredients, so nothing goes to waste. Each takes about 25 minutes.',
            'With {ingredient} as the base, here are three ideas ranked by effort.',
        ),
        points=(
            '**Monday:** {ingredient} curry with rice.',
            '**Tuesday:** sheet-pan vegetables with feta and lemon.',
            '**Wednesday:** {ingredient} and spinach soup.',
            '**Thursday:** grain bowls with leftover vegetables.',
            '**Friday:** homemade pizza night.',
            'Cook a double batch of grains on Sunday; it keeps four days in the fridge.',
        ),
        outros=('Shopping list total: about {c}0 in a normal supermarket.', 'Leftovers make Thursday easy.'),
        table=(
            ('Item', 'Amount', 'Used on'),
            (
                '{ingredient} | {c}00 g | Mon, Wed',
                'spinach | 2 bags | Wed, Thu',
                'rice | 500 g | Mon, Thu',
                'lemons | {c} | all week',
                'feta | 200 g | Tue',
            ),
        ),
        notes=('The curry was great.', 'Too much spinach.'),
    ),
    Topic(
        key='fitness-plan',
        category='Health & fitness',
        tags=('fitness', 'training-plan', 'running'),
        vars={
            'goal': (
                'a first 10k',
                'a half marathon',
                'three pull-ups',
                'better mobility',
                'getting back after injury',
            )
        },
        titles=('{c}-week plan for {goal}', 'Training for {goal}', 'Weekly routine: {goal}'),
        asks=(
            'Make me a {c}-week training plan for {goal}. I can train three times a week.',
            'I keep getting knee pain after runs. How should I adjust my plan for {goal}?',
        ),
        followups=('Add a strength day.', 'What if I miss a week?', 'Make week one easier.'),
        headings=('Plan for {goal}', 'Training schedule', 'Weekly routine'),
        intros=(
            'The plan builds slowly: no more than 10% more volume per week, with an easy week every fourth week.',
            'Knee pain after runs is often a load problem, not a technique problem. Reduce volume first, then build back.',
        ),
        points=(
            'Run easy enough to hold a conversation on most days.',
            'One longer run per week, growing by about 1 km.',
            'Two short strength sessions: squats, lunges, calf raises.',
            'Sleep and rest days are part of the plan, not a break from it.',
            'See a physiotherapist if the pain lasts more than two weeks.',
        ),
        outros=(
            'Adjust by feel: skip a session rather than push through pain.',
            'This is general advice, not medical advice.',
        ),
        table=(
            ('Week', 'Mon', 'Wed', 'Sat'),
            (
                '1 | 3 km easy | strength | 4 km',
                '2 | 3 km easy | strength | 5 km',
                '3 | 4 km easy | intervals | 6 km',
                '4 | rest | 3 km easy | 4 km',
            ),
        ),
        notes=('Week 3 felt hard.', 'Knee fine so far.'),
    ),
    Topic(
        key='contract-review',
        category='Legal & finance',
        tags=('legal', 'contracts', 'risk'),
        vars={
            'contract': (
                'freelance services agreement',
                'NDA',
                'SaaS terms of service',
                'office lease',
                'employment contract',
            ),
        },
        titles=(
            'Red flags in the {contract} from {company}',
            '{contract}: clauses to negotiate',
            'Plain-English summary of the {contract}',
        ),
        asks=(
            'Review this {contract} with {company} and list the clauses that are risky for me as the contractor.',
            'Summarise this {contract} in plain English. What am I agreeing to?',
            'Suggest fairer wording for the liability clause in this {contract}.',
        ),
        followups=(
            'Which of these is the biggest risk?',
            'Draft a reply asking for the changes.',
            'Is this normal?',
        ),
        headings=('Review: {contract}', 'Clauses to negotiate', 'Plain-English summary'),
        intros=(
            'Overall the {contract} is standard, but three clauses shift most of the risk to you. I would not sign before changing them.',
            'I am not a lawyer and this is not legal advice, but here is what stands out in the {contract} from {company}.',
        ),
        points=(
            '**Unlimited liability** (section {c}.2): ask for a cap at the fees paid in the last 12 months.',
            '**IP assignment** covers work done outside the project: limit it to the deliverables.',
            '**Payment terms** of 60 days: ask for 30 days and late-payment interest.',
            '**Non-compete** for {c} years is likely unenforceable but worth removing.',
            "**Termination** lets them end the contract with 7 days' notice while you need 90.",
            'Governing law and venue: fine, both in your jurisdiction.',
        ),
        outros=(
            'Have a lawyer check the liability and IP clauses before signing.',
            'Most of these are routine asks; {company} will probably accept two of them.',
        ),
        table=(
            ('Clause', 'Risk', 'Suggested change'),
            (
                'Liability | High | Cap at 12 months of fees',
                'IP | High | Deliverables only',
                'Payment | Medium | Net 30 + interest',
                'Non-compete | Medium | Remove',
                'Termination | Low | Mutual 30 days',
            ),
        ),
        sensitive=True,
        notes=('Sent the redline to {company}.', 'Lawyer agreed with points 1 and 2.'),
    ),
    Topic(
        key='budget-finance',
        category='Legal & finance',
        tags=('personal-finance', 'budgeting', 'spreadsheets'),
        vars={'goal': ('an emergency fund', 'a house deposit', 'paying off a credit card', 'a sabbatical')},
        titles=(
            'Monthly budget towards {goal}',
            'Spreadsheet formula for tracking {goal}',
            'Saving plan: {goal}',
        ),
        asks=(
            'Help me make a monthly budget. Income {big} after tax; I want to save for {goal}.',
            'Write a Google Sheets formula that sums expenses by category and month.',
        ),
        followups=(
            'What if rent goes up by 10%?',
            'Show it as a 50/30/20 split.',
            'How long until I reach the goal?',
        ),
        headings=('Budget for {goal}', 'Saving plan', 'Spreadsheet setup'),
        intros=(
            'A simple 50/30/20 split gets you to {goal} in about {c}{d} months without cutting everything you enjoy.',
            'The trick is to automate the saving on payday, so what is left is what you can spend.',
        ),
        points=(
            'Needs (50%): rent, utilities, groceries, transport.',
            'Wants (30%): eating out, subscriptions, hobbies.',
            'Savings (20%): automatic transfer on payday.',
            'Cancel the {c} subscriptions you have not used in three months.',
            'Keep the emergency fund in an instant-access account.',
        ),
        outros=(
            'Review the numbers monthly; adjust the wants first.',
            'This is general information, not financial advice.',
        ),
        table=(
            ('Category', 'Monthly', 'Share'),
            ('Needs | {a} | 50%', 'Wants | {b} | 30%', 'Savings | {c}00 | 20%'),
        ),
        code=(
            'text',
            (
                '=SUMIFS(Expenses!C:C, Expenses!B:B, $A2, Expenses!A:A, ">="&DATE(2026, B$1, 1), Expenses!A:A, "<"&EDATE(DATE(2026, B$1, 1), 1))',
                "=QUERY(Expenses!A:C, \"select B, sum(C) where A >= date '2026-01-01' group by B label sum(C) 'Total'\", 1)",
            ),
        ),
        sensitive=True,
        notes=('Automated the transfer.', 'Rent went up, revisit.'),
    ),
    Topic(
        key='blog-post',
        category='Writing',
        tags=('blogging', 'outline', 'editing'),
        vars={
            'subject': (
                'what I learned shipping a side project',
                'why we moved off microservices',
                'remote work after five years',
                "a beginner's guide to SQLite",
                'how we run incident reviews',
            ),
        },
        titles=('Outline: {subject}', 'Editing pass on "{subject}"', 'Intro paragraph for {subject}'),
        asks=(
            'Outline a 1,500-word blog post about {subject}. Audience: developers. Include a hook.',
            'Edit this draft about {subject} for clarity and cut 20% of the words.',
            'Suggest five titles for a post on {subject}.',
        ),
        followups=('Make the intro punchier.', 'Add a conclusion with a call to action.', 'Less formal.'),
        headings=('{subject}', 'Outline', 'Edited draft'),
        intros=(
            '**Hook:** We deleted {c}0% of our code and the product got faster. Here is how that happened.',
            'The draft has a strong story buried under general statements. I moved the story to the top and cut the throat-clearing.',
        ),
        points=(
            '**1. The problem** — what hurt, with one concrete number.',
            '**2. What we tried** — two approaches that failed, briefly.',
            '**3. What worked** — the change, with a code sample or diagram.',
            '**4. What it cost** — honest trade-offs.',
            '**5. What we would do differently** — three lessons.',
            'Cut adverbs and the phrase "it is important to note".',
        ),
        outros=(
            'Target length: about 1,500 words; sections 2 and 4 can be short.',
            'End with a question to invite comments.',
        ),
        notes=('Published on the company blog.', 'Section 4 needs real numbers.'),
    ),
)

TOPIC_BY_KEY = {t.key: t for t in TOPICS}

# Plans on categories and collections are long: the demo spans two years before a fixed date, and a
# short plan would send much of it to the trash the first time the app's purge runs.
CATEGORIES = (
    # (name, colour, description, retention plan or None)
    ('Coding', '#3b82f6', 'Code, reviews, tests and debugging.', None),
    ('Infrastructure', '#64748b', 'Deployments, CI, containers and scripts.', None),
    ('Data & analytics', '#0ea5e9', 'Analyses, notebooks and charts.', None),
    ('Research', '#8b5cf6', 'Papers, surveys and reading notes.', None),
    ('Work & meetings', '#f59e0b', 'Meeting summaries and planning.', '5 years'),
    ('Writing', '#10b981', 'Emails, posts and editing.', None),
    ('Marketing', '#ec4899', 'Copy, campaigns and SEO.', None),
    ('Product', '#f97316', 'Specs, user stories and roadmaps.', None),
    ('Learning', '#14b8a6', 'Explanations and study notes.', None),
    ('Travel', '#06b6d4', 'Trips and itineraries.', 'Keep forever'),
    ('Health & fitness', '#22c55e', 'Meals, training and habits.', None),
    ('Legal & finance', '#ef4444', 'Contracts, budgets and money.', '7 years (tax)'),
)

TAG_COLOURS = (
    '#ef4444',
    '#f97316',
    '#eab308',
    '#22c55e',
    '#14b8a6',
    '#3b82f6',
    '#8b5cf6',
    '#ec4899',
    '#64748b',
)

COLLECTIONS = (
    # (name, description, topic keys, retention plan or None)
    (
        'Website relaunch 2026',
        'Copy, specs and code for the new marketing site.',
        ('marketing-copy', 'typescript-debug', 'product-spec'),
        None,
    ),
    (
        'Thesis literature review',
        'Paper summaries and notes for chapter 2.',
        ('ml-research', 'explain-concept'),
        None,
    ),
    (
        'Billing service cleanup',
        'Refactors and tests for the legacy billing code.',
        ('python-refactor', 'python-testing', 'sql-tuning'),
        None,
    ),
    (
        'Data platform migration',
        'Moving reports from the old warehouse.',
        ('sql-tuning', 'data-analysis', 'devops'),
        None,
    ),
    (
        'Q3 planning',
        'Meeting notes, specs and decisions for Q3.',
        ('meeting-notes', 'product-spec'),
        '5 years',
    ),
    (
        'Client: Acme onboarding',
        'Everything for the Acme contract.',
        ('contract-review', 'email-draft', 'meeting-notes'),
        '5 years',
    ),
    ('Blog drafts', 'Posts in progress.', ('blog-post', 'marketing-copy'), None),
    ('Trip to Japan', 'Itinerary, food and phrases.', ('travel-plan',), 'Keep forever'),
    ('Healthy 2026', 'Meal plans and training.', ('meal-plan', 'fitness-plan'), None),
    ('Money', 'Budgets and savings.', ('budget-finance',), None),
    (
        'Prompt engineering notes',
        'Prompts and answers worth keeping as examples.',
        ('python-refactor', 'marketing-copy', 'explain-concept'),
        None,
    ),
    ('Homelab', 'Scripts and containers at home.', ('devops',), None),
)

# Each prompt: (key, topic, title, description, base body, [(added text, change note), ...]).
# Version n = base + the first n-1 additions, so diffs between versions are real and readable.
PROMPTS = (
    (
        'refactor-function',
        'python-refactor',
        'Refactor a Python function',
        'Makes a function shorter and testable without changing behaviour.',
        'Refactor this function to make it easier to read and test. Keep the behaviour identical.\n\n```python\n{{code}}\n```',
        [
            (
                '\n\nTarget Python {{python_version|3.12}} and add type hints.',
                'Ask for type hints; Python version as a variable',
            ),
            (
                '\n\nAnswer with: 1. the refactored code, 2. a bullet list of what changed, 3. any risk to behaviour.',
                'Fixed answer structure',
            ),
            ('\nDo not introduce new dependencies.', 'It kept suggesting third-party libraries'),
        ],
    ),
    (
        'write-tests',
        'python-testing',
        'Write pytest tests',
        'Generates a focused pytest module for a function.',
        'Write pytest tests for the following function. Cover the happy path, empty input and invalid data.\n\n```python\n{{code}}\n```',
        [
            ('\nUse pytest.mark.parametrize for the cases.', 'Prefer parametrize over copies'),
            (
                '\nUse the tmp_path fixture for any file access and never hit the network.',
                'Tests were writing into the repo',
            ),
        ],
    ),
    (
        'explain-query-plan',
        'sql-tuning',
        'Explain and fix a slow SQL query',
        'Reads an EXPLAIN plan and proposes indexes or rewrites.',
        'This {{database|PostgreSQL}} query is slow. Explain the plan and propose a fix.\n\n```sql\n{{query}}\n```\n\nPlan:\n```\n{{plan}}\n```',
        [
            ('\n\nFor each suggested index, estimate the write overhead.', 'Ask for index costs'),
            ('\nShow the rewritten query in full.', 'Answers only described the rewrite'),
        ],
    ),
    (
        'debug-react',
        'typescript-debug',
        'Debug a React component',
        'Finds the cause of render loops, stale state and flicker.',
        'Debug this React component. Describe the root cause first, then the fix.\n\n```tsx\n{{component}}\n```',
        [
            ('\nSymptom: {{symptom}}', 'Symptom as a variable'),
        ],
    ),
    (
        'dockerfile-review',
        'devops',
        'Review a Dockerfile',
        'Smaller, safer, faster-building images.',
        'Review this Dockerfile for size, build speed and security.\n\n```dockerfile\n{{dockerfile}}\n```',
        [
            ('\nReturn the improved Dockerfile in full.', 'Wanted a copy-paste result'),
            (
                '\nThe service is a {{language|Python}} web app behind a reverse proxy.',
                'Context improves the advice',
            ),
        ],
    ),
    (
        'analyse-dataset',
        'data-analysis',
        'Analyse a dataset',
        'First look at a CSV: cleaning, key drivers, one chart.',
        'Analyse the attached dataset {{filename}}. What drives {{metric}}?',
        [
            (
                '\nStart by listing data-quality problems and how you fixed them.',
                'Cleaning steps were invisible',
            ),
            ('\nShow the pandas code for every number you report.', 'Reproducibility'),
            ('\nEnd with three hypotheses worth testing next.', 'Make it actionable'),
        ],
    ),
    (
        'summarise-paper',
        'ml-research',
        'Summarise a research paper',
        'Idea, results and limitations for an engineer.',
        'Summarise the paper "{{title}}" for an engineer.',
        [
            ('\nUse three sections: the idea, the results, the limitations.', 'Fixed structure'),
            ('\nSay clearly when you are unsure of a number.', 'It invented a benchmark score once'),
        ],
    ),
    (
        'summarise-meeting',
        'meeting-notes',
        'Summarise meeting notes',
        'Decisions, action items with owners, open questions.',
        'Summarise the following meeting notes.\n\n{{notes}}',
        [
            (
                '\n\nGroup the summary into: decisions, action items (with owner and due date), open questions.',
                'Structure',
            ),
            ('\nKeep it under {{max_words|200}} words.', 'Summaries were too long'),
            ('\nMark any action item without an owner as TBD.', 'Missing owners got lost'),
        ],
    ),
    (
        'draft-email',
        'email-draft',
        'Draft an email',
        'A short email in the right tone.',
        'Write an email to {{recipient}} about {{topic}}.',
        [
            ('\nTone: {{tone|friendly but firm}}. Under 150 words.', 'Tone and length controls'),
            ('\nOffer three subject lines.', 'Subject lines were an afterthought'),
        ],
    ),
    (
        'landing-hero',
        'marketing-copy',
        'Landing page hero copy',
        'Headline, subheadline and CTA variants.',
        'Write a landing page hero for {{product}}, a product for {{audience}}: headline, subheadline, call to action.',
        [
            ('\nGive three variants, from plain to bold.', 'Variants for A/B tests'),
            ('\nNo jargon: avoid "leverage", "synergy", "empower", "seamless".', 'Banned words list'),
            ('\nLead with the outcome the audience wants, not the feature.', 'Outcome-first'),
        ],
    ),
    (
        'user-stories',
        'product-spec',
        'User stories with acceptance criteria',
        'Turns a feature idea into stories a team can estimate.',
        'Write user stories for {{feature}}.',
        [
            ('\nEach story gets acceptance criteria in Given/When/Then form.', 'Acceptance criteria'),
            ('\nList non-goals and risks at the end.', 'Scope control'),
        ],
    ),
    (
        'explain-like-15',
        'explain-concept',
        'Explain a concept simply',
        'Intuition first, then a worked example.',
        'Explain {{concept}} to a smart 15-year-old.',
        [
            ('\nStart with the intuition, then one worked example with real numbers.', 'Examples help'),
            ('\nFinish with the most common misconception.', 'Misconceptions'),
        ],
    ),
    (
        'trip-itinerary',
        'travel-plan',
        'Plan a trip',
        'Day-by-day itinerary with a budget.',
        'Plan a {{days|5}}-day trip to {{destination}} for {{travellers|two people}}.',
        [
            ('\nInterests: {{interests|food and walking}}. Budget: {{budget|mid-range}}.', 'Preferences'),
            ('\nKeep each day in one neighbourhood; add a rainy-day alternative.', 'Less travel time'),
        ],
    ),
    (
        'weekly-meals',
        'meal-plan',
        'Weekly dinner plan',
        'Five dinners sharing ingredients, plus a shopping list.',
        'Plan five {{diet|vegetarian}} dinners for {{people|two}}, under 30 minutes each.',
        [
            ('\nInclude a shopping list grouped by aisle.', 'Shopping list'),
            ('\nReuse ingredients across days to avoid waste.', 'Less waste'),
        ],
    ),
    (
        'contract-red-flags',
        'contract-review',
        'Find red flags in a contract',
        'Risky clauses and fairer wording.',
        'Review this contract and list the clauses that are risky for me as {{role|the contractor}}.\n\n{{contract}}',
        [
            ('\nFor each clause: the risk (high/medium/low) and a suggested change.', 'Actionable output'),
            ('\nStart with a one-line overall verdict.', 'Verdict first'),
            ('\nRemind me which points need a lawyer.', 'Safety'),
        ],
    ),
    (
        'blog-outline',
        'blog-post',
        'Outline a blog post',
        'A hook and a five-part outline.',
        'Outline a blog post about {{subject}} for {{audience|developers}}.',
        [
            ('\nStart with a hook of at most two sentences.', 'Hooks'),
            ('\nAbout {{words|1500}} words in total; give a length per section.', 'Length budget'),
        ],
    ),
    (
        'budget-plan',
        'budget-finance',
        'Monthly budget',
        'A simple budget towards a saving goal.',
        'Help me build a monthly budget. Net income: {{income}}. Goal: {{goal}}.',
        [
            ('\nUse the 50/30/20 rule as a starting point and show the numbers in a table.', 'Table'),
        ],
    ),
    (
        'training-plan',
        'fitness-plan',
        'Training plan',
        'A progressive plan with rest weeks.',
        'Make a {{weeks|8}}-week training plan for {{goal}}. I can train {{sessions|3}} times a week.',
        [
            ('\nInclude one strength session per week.', 'Strength'),
            ('\nEvery fourth week is an easy week.', 'Recovery'),
        ],
    ),
)

# Each agent: (key, name, description, topic keys, tags, [(system prompt addition, model api id, temperature, note)]).
# Version n's system prompt = the first n additions joined.
AGENTS = (
    (
        'python-reviewer',
        'Senior Python reviewer',
        'Reviews Python code like a careful senior engineer.',
        ('python-refactor', 'python-testing'),
        ('python', 'code-review'),
        [
            (
                "You are a senior Python engineer reviewing a colleague's code. Be direct and specific.",
                'gpt-4o',
                0.2,
                'First version',
            ),
            (
                '\nPrefer the standard library. Point out missing tests and unclear names.',
                'claude-sonnet-4-5',
                0.2,
                'Switched to Claude; more focus on tests',
            ),
            (
                '\nAlways show the corrected code, not only a description.',
                'claude-sonnet-4-5',
                0.1,
                'Show code',
            ),
            (
                '\nTarget Python 3.12 and modern typing (`list[str]`, `X | None`).',
                'gpt-5',
                0.1,
                'Modern typing; tried GPT-5',
            ),
        ],
    ),
    (
        'sql-tuner',
        'SQL performance tuner',
        'Reads query plans and suggests indexes.',
        ('sql-tuning', 'data-analysis'),
        ('sql', 'performance'),
        [
            (
                'You are a database performance specialist (PostgreSQL and SQLite). Explain plans step by step.',
                'gpt-4.1',
                0.2,
                'First version',
            ),
            ('\nAlways mention the write cost of any index you suggest.', 'gpt-4.1', 0.2, 'Index costs'),
            ('\nAsk for the table sizes if they are not given.', 'o3', None, 'Reasoning model'),
        ],
    ),
    (
        'frontend-buddy',
        'Frontend debugging buddy',
        'Patient help with React and TypeScript bugs.',
        ('typescript-debug',),
        ('typescript', 'react'),
        [
            (
                'You help debug React and TypeScript code. Find the root cause before suggesting fixes.',
                'claude-sonnet-4-5',
                0.3,
                'First version',
            ),
            ('\nPrefer small, local fixes over rewrites.', 'claude-sonnet-4-5', 0.3, 'Smaller fixes'),
        ],
    ),
    (
        'devops-oncall',
        'DevOps on-call helper',
        'Calm, step-by-step help with deployments and incidents.',
        ('devops',),
        ('devops', 'docker'),
        [
            (
                'You are an experienced SRE. Give safe, reversible steps first.',
                'gpt-4o',
                0.2,
                'First version',
            ),
            ('\nWarn before any command that deletes data.', 'gpt-4o', 0.2, 'Safety warnings'),
            (
                '\nUse bash with `set -euo pipefail` in scripts.',
                'gpt-4.1-mini',
                0.2,
                'Cheaper model is enough',
            ),
        ],
    ),
    (
        'data-analyst',
        'Data analyst',
        'Pandas-first analysis with honest caveats.',
        ('data-analysis',),
        ('pandas', 'data-analysis'),
        [
            (
                'You are a data analyst. Use pandas. Show code for every number.',
                'gpt-4o',
                0.3,
                'First version',
            ),
            ('\nState data-quality problems before conclusions.', 'gpt-5', 0.3, 'Quality first'),
            ('\nNever claim causation from correlation.', 'gpt-5', 0.2, 'Causation guard'),
        ],
    ),
    (
        'paper-summariser',
        'Research paper summariser',
        'Summaries for engineers: idea, results, limits.',
        ('ml-research', 'explain-concept'),
        ('papers', 'summary'),
        [
            (
                'You summarise research papers for engineers. Be precise; do not invent numbers.',
                'claude-opus-4-1',
                0.3,
                'First version',
            ),
            (
                '\nUse three sections: idea, results, limitations.',
                'claude-sonnet-4-5',
                0.3,
                'Structure; cheaper model',
            ),
            (
                '\nLink related work when you are confident it exists.',
                'gemini-2.5-pro',
                0.4,
                'Try Gemini for breadth',
            ),
        ],
    ),
    (
        'minutes-secretary',
        'Meeting minutes secretary',
        'Turns messy notes into decisions and actions.',
        ('meeting-notes',),
        ('meetings', 'action-items'),
        [
            (
                'You turn meeting notes into clear minutes: decisions, action items, open questions.',
                'gpt-4o-mini',
                0.2,
                'First version',
            ),
            ('\nEvery action item has an owner and a due date, or TBD.', 'gpt-4o-mini', 0.2, 'Owners'),
            (
                '\nNever add facts that are not in the notes.',
                'claude-haiku-4-5',
                0.1,
                'No invented facts; Haiku is cheap',
            ),
        ],
    ),
    (
        'copy-editor',
        'Marketing copy editor',
        'Punchy, concrete copy without jargon.',
        ('marketing-copy', 'blog-post'),
        ('copywriting', 'editing'),
        [
            (
                'You are a marketing copy editor. Short sentences, concrete benefits, no jargon.',
                'gpt-4o',
                0.8,
                'First version',
            ),
            ('\nOffer variants from plain to bold.', 'gpt-4o', 0.9, 'Variants'),
            (
                '\nBanned words: leverage, synergy, empower, seamless, revolutionary.',
                'claude-sonnet-4-5',
                0.8,
                'Banned words',
            ),
            ('\nKeep the brand voice: warm, confident, never smug.', 'gpt-5', 0.7, 'Brand voice'),
        ],
    ),
    (
        'email-ghostwriter',
        'Polite email ghostwriter',
        'Short emails in the right tone.',
        ('email-draft',),
        ('email', 'tone'),
        [
            (
                'You write short, polite, clear emails. Under 150 words unless asked.',
                'gpt-4o-mini',
                0.6,
                'First version',
            ),
            (
                '\nMatch the formality of the message you are replying to.',
                'claude-haiku-4-5',
                0.6,
                'Formality matching',
            ),
        ],
    ),
    (
        'pm-sparring',
        'Product manager sparring partner',
        'Challenges specs and finds the missing cases.',
        ('product-spec', 'meeting-notes'),
        ('product-management', 'requirements'),
        [
            (
                'You are a senior product manager. Challenge assumptions and find missing cases.',
                'gpt-4.1',
                0.5,
                'First version',
            ),
            (
                '\nWrite user stories with Given/When/Then acceptance criteria.',
                'gpt-4.1',
                0.4,
                'Acceptance criteria',
            ),
            ('\nAlways propose the smallest useful MVP.', 'claude-sonnet-4-5', 0.4, 'MVP focus'),
        ],
    ),
    (
        'tutor',
        'Patient tutor',
        'Explains anything with intuition and examples.',
        ('explain-concept', 'ml-research'),
        ('explainer', 'study-notes'),
        [
            (
                'You are a patient tutor. Intuition first, then a worked example.',
                'gpt-4o',
                0.5,
                'First version',
            ),
            (
                '\nCheck understanding with one question at the end.',
                'gemini-2.5-flash',
                0.5,
                'Check questions; Gemini Flash',
            ),
        ],
    ),
    (
        'travel-planner',
        'Travel planner',
        'Realistic itineraries with budgets.',
        ('travel-plan',),
        ('travel', 'itinerary'),
        [
            (
                'You plan realistic trips: few transfers, local food, honest costs.',
                'gpt-4o',
                0.7,
                'First version',
            ),
            ('\nAlways add a rainy-day alternative.', 'gemini-2.5-flash', 0.7, 'Plan B'),
        ],
    ),
    (
        'health-coach',
        'Nutrition & training coach',
        'Practical meal and training plans.',
        ('meal-plan', 'fitness-plan'),
        ('nutrition', 'fitness'),
        [
            (
                'You give practical meal and training plans for busy people. Not medical advice.',
                'gpt-4o-mini',
                0.6,
                'First version',
            ),
            ('\nProgress slowly; include rest.', 'gpt-4o-mini', 0.5, 'Rest weeks'),
            (
                '\nSuggest seeing a professional for pain or medical conditions.',
                'llama3.1:8b',
                0.5,
                'Runs locally now',
            ),
        ],
    ),
    (
        'contract-checker',
        'Contract risk checker',
        'Flags risky clauses; reminds you to ask a lawyer.',
        ('contract-review', 'budget-finance'),
        ('legal', 'risk'),
        [
            (
                'You review contracts for risk. You are not a lawyer and say so.',
                'claude-opus-4-1',
                0.1,
                'First version',
            ),
            (
                '\nRate each clause high/medium/low and suggest fairer wording.',
                'claude-sonnet-4-5',
                0.1,
                'Ratings',
            ),
        ],
    ),
)

# Extra lookup rows for a full-looking database (the defaults come from defaults.py).
EXTRA_RETENTION = [
    ('7 days', 7, 4, 'Scratch work.'),
    ('14 days', 14, 5, 'Short-lived drafts.'),
    ('180 days', 180, 6, 'Half a year.'),
    ('2 years', 730, 7, 'Project records.'),
    ('5 years', 1825, 8, 'Contracts and finance.'),
    ('7 years (tax)', 2555, 9, 'Tax-relevant records.'),
]
EXTRA_ACCURACY = [
    ('Tested in production', 4, 'positive', 'Used for real and it worked.'),
    ('Peer reviewed', 3, 'positive', 'A colleague checked it.'),
    ('Partially correct', 1, 'warning', 'Some parts are wrong.'),
    ('Outdated', 1, 'warning', 'Was right once; things changed.'),
    ('Needs checking', 1, 'grey', 'Looks plausible; verify before use.'),
    ('Hallucinated', 0, 'negative', 'Invented facts or APIs.'),
]
EXTRA_SENSITIVITY = [
    ('Internal', 1, False, 'teal', 'Fine inside the team.'),
    ('Client confidential', 2, False, 'orange', 'Under a client NDA.'),
    ('Financial', 2, False, 'amber', 'Money matters.'),
    ('Health', 3, True, 'purple', 'Health information.'),
    ('Legal privileged', 3, True, 'deep-orange', 'Advice from or for a lawyer.'),
    ('Credentials', 3, True, 'red', 'Never share; rotate if leaked.'),
]
EXTRA_SOURCES = [
    ('Gemini export', 'other', 'Google Takeout of Gemini apps activity.'),
    ('Perplexity', 'other', 'Copied from Perplexity threads.'),
    ('Browser clipper', 'api', 'Saved from the browser extension.'),
    ('Android share (Tasker)', 'api', 'Shared from the phone via Tasker.'),
    ('iOS Shortcut', 'api', 'Shared from an iPhone shortcut.'),
    ('Obsidian import', 'other', 'Imported from an Obsidian vault.'),
]
# (name, kind, base url, colour)
EXTRA_PROVIDERS = [
    ('Mistral', 'openai_compatible', 'https://api.mistral.ai/v1', '#fa520f'),
    ('Groq', 'openai_compatible', 'https://api.groq.com/openai/v1', '#f55036'),
    ('OpenRouter', 'openai_compatible', 'https://openrouter.ai/api/v1', '#6467f2'),
    ('Ollama', 'openai_compatible', 'http://192.168.1.20:11434/v1', '#111827'),
    ('LM Studio', 'openai_compatible', 'http://localhost:1234/v1', '#4f46e5'),
    ('DeepSeek', 'openai_compatible', 'https://api.deepseek.com/v1', '#4d6bfe'),
    ('xAI', 'openai_compatible', 'https://api.x.ai/v1', '#000000'),
]
# (provider, api id, display name, input $/Mtok, output $/Mtok, context window)
EXTRA_MODELS = [
    ('Mistral', 'mistral-large-latest', 'Mistral Large', 2.0, 6.0, 128_000),
    ('Mistral', 'mistral-small-latest', 'Mistral Small', 0.1, 0.3, 128_000),
    ('Mistral', 'codestral-latest', 'Codestral', 0.3, 0.9, 256_000),
    ('Groq', 'llama-3.3-70b-versatile', 'Llama 3.3 70B (Groq)', 0.59, 0.79, 128_000),
    ('Groq', 'llama-3.1-8b-instant', 'Llama 3.1 8B Instant (Groq)', 0.05, 0.08, 128_000),
    ('OpenRouter', 'meta-llama/llama-3.1-405b-instruct', 'Llama 3.1 405B (OpenRouter)', 0.8, 0.8, 128_000),
    ('Ollama', 'qwen2.5-coder:7b', 'Qwen 2.5 Coder 7B (Ollama)', 0.0, 0.0, 32_768),
    ('Ollama', 'mistral-nemo:12b', 'Mistral Nemo 12B (Ollama)', 0.0, 0.0, 128_000),
    ('LM Studio', 'google/gemma-3-12b', 'Gemma 3 12B (LM Studio)', 0.0, 0.0, 128_000),
    ('DeepSeek', 'deepseek-chat', 'DeepSeek V3', 0.27, 1.1, 64_000),
    ('DeepSeek', 'deepseek-reasoner', 'DeepSeek R1', 0.55, 2.19, 64_000),
    ('xAI', 'grok-4', 'Grok 4', 3.0, 15.0, 256_000),
]
# How often each model answers, by api id (the rest share a small remainder).
MODEL_WEIGHTS = {
    'gpt-4o': 18,
    'claude-sonnet-4-5': 16,
    'gpt-5': 10,
    'gpt-4o-mini': 8,
    'claude-3-5-sonnet-latest': 6,
    'gpt-4.1': 6,
    'gpt-5-mini': 5,
    'gemini-2.5-pro': 5,
    'gemini-2.5-flash': 4,
    'claude-haiku-4-5': 4,
    'o3': 3,
    'claude-opus-4-1': 3,
    'o4-mini': 2,
    'gpt-4.1-mini': 2,
    'llama3.1:8b': 2,
}
# (provider, default model, monthly cap in USD, enabled)
PROVIDER_SETTINGS = {
    'OpenAI': ('gpt-4o', 40.0, True),
    'Anthropic': ('claude-sonnet-4-5', 40.0, True),
    'Google': ('gemini-2.5-flash', 10.0, True),
    'Local': ('llama3.1:8b', None, True),
    'Mistral': ('mistral-small-latest', 5.0, False),
    'Groq': ('llama-3.3-70b-versatile', 5.0, True),
    'OpenRouter': ('meta-llama/llama-3.1-405b-instruct', 15.0, False),
    'Ollama': ('qwen2.5-coder:7b', None, True),
    'LM Studio': ('google/gemma-3-12b', None, False),
    'DeepSeek': ('deepseek-chat', 5.0, False),
    'xAI': ('grok-4', 10.0, False),
}
# (name, scope, allows restricted, revoked)
API_TOKENS = [
    ('Tasker on Pixel', 'write', False, False),
    ('HTTP Shortcuts (Android share)', 'write', False, False),
    ('iOS Shortcut on iPhone 15', 'write', False, False),
    ('Obsidian plugin', 'read', False, False),
    ('Raycast extension', 'read', False, False),
    ('Home Assistant', 'read', False, True),
    ('n8n workflow', 'write', False, False),
    ('Backup script on NAS', 'read', True, False),
    ('Alfred workflow (old laptop)', 'read', False, True),
    ('Browser clipper', 'write', False, False),
    ('Zapier import test', 'write', False, True),
]
# (name, user agent, allows restricted, revoked)
DEVICES = [
    (
        'Pixel 8',
        'Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
        False,
        False,
    ),
    (
        'Pixel 7a (old)',
        'Mozilla/5.0 (Linux; Android 14; Pixel 7a) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
        False,
        True,
    ),
    (
        'iPhone 15',
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
        False,
        False,
    ),
    (
        'iPad Air',
        'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
        False,
        False,
    ),
    (
        'Galaxy Tab S9',
        'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36',
        False,
        False,
    ),
    (
        'Work laptop (Firefox)',
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0',
        True,
        False,
    ),
    (
        'Living-room Chromebook',
        'Mozilla/5.0 (X11; CrOS x86_64 15917.71.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36',
        False,
        False,
    ),
    (
        'OnePlus 12',
        'Mozilla/5.0 (Linux; Android 14; CPH2581) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
        False,
        False,
    ),
    (
        "Partner's phone",
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
        False,
        True,
    ),
    (
        'Kitchen tablet',
        'Mozilla/5.0 (Linux; Android 13; Lenovo TB-X606F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
        False,
        False,
    ),
    (
        'MacBook (Safari)',
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15',
        True,
        False,
    ),
]
IMPORT_ERRORS = [
    'conversation {uuid}: message without content skipped',
    'conversation {uuid}: unknown content type "multimodal_text", kept as raw',
    'file conversations.json: truncated JSON at byte {big}',
    'conversation {uuid}: attachment "{file}" not included in the export',
]
PURGE_PLANS = ('30 days', '90 days', '1 year', '7 days', '14 days')
