"""The tamper-evident record (issue 11.7): one hash chain through the audit log, the
timelines and the access log.

Every chained row carries

- `content_hash`: SHA-256 of its content (the columns in `CONTENT_FIELDS`, and the
  digest of its erasable part, never that part itself), worked out in Python when
  the row is written;
- `chain_seq`, `prev_hash`, `chain_hash`: its place in the one chain and
  SHA-256(prev_hash + content_hash).

**Personal data is never hashed into the chain.** The erasable columns of a row
(`ERASABLE`: a timeline entry's text and details, an audit row's details, a list
view's details) are covered by `erasable_digest`, a SHA-256 with a random salt kept
in the row (`erasure_salt`). Anonymisation (issue 10) blanks the erasable columns
and the salt together (`erase`); the digest in the chain then no longer tells
anything about what was there, and `verify` still passes because the chain never
covered the text.

**The database refuses changes** (triggers created by migrations, `guard_sql`):
UPDATE, DELETE and TRUNCATE are refused on the three tables, with exactly two
exceptions that change nothing the chain covers: sealing a row (PostgreSQL only:
setting the chain columns of a row that has none) and erasing it (blanking the
erasable columns and the salt, nothing else).

**Sealing, and the lock on the chain's head.** On PostgreSQL a constraint trigger
`DEFERRABLE INITIALLY DEFERRED` seals the rows of a transaction at COMMIT: it
locks the one `core_chainhead` row then, so the lock is taken last in the
transaction and held only for the rest of the commit; the work of the
transaction itself (a registration with its routing, letters and outbox) runs in
parallel with other transactions. On SQLite the database has one writer at a
time anyway, so rows are sealed as they are written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import heapq
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.utils import timezone

# The columns each chained table hashes as its content (besides the erasable digest).
# Fixed here, not read from the model: a column added later must not change the hash
# of rows written before it (tests/test_chain.py holds this list against the models).
CONTENT_FIELDS: dict[str, tuple[str, ...]] = {
    "core_auditentry": (
        "at",
        "actor_id",
        "action",
        "target_type",
        "target_id",
        "complaint_ref",
    ),
    "complaints_event": ("complaint_id", "kind", "at", "actor_id", "internal"),
    "complaints_accesslog": ("complaint_id", "user_id", "at", "via"),
}
# Columns that may be blanked by anonymisation, with their blank value.
ERASABLE: dict[str, dict[str, Any]] = {
    "core_auditentry": {"data": {}},
    "complaints_event": {"text": "", "data": {}},
    "complaints_accesslog": {"data": {}},
}
CHAIN_COLUMNS = ("chain_seq", "prev_hash", "chain_hash")
META_COLUMNS = ("id", "content_hash", "erasable_digest", "erasure_salt", *CHAIN_COLUMNS)
GENESIS = "0" * 64
HEAD_TABLE = "core_chainhead"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def canonical(value: Any) -> str:
    """One JSON text for a value, the same whichever database it came back from."""
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain
    )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def digest_of(salt: str, values: dict[str, Any]) -> str:
    """The salted digest of the erasable part; empty salt: erased (digest of nothing)."""
    return sha256(salt + canonical(values))


def content_hash(table: str, values: dict[str, Any], digest: str) -> str:
    content = {name: _plain(values[name]) for name in CONTENT_FIELDS[table]}
    return sha256(canonical({"table": table, "content": content, "erasable": digest}))


def link_hash(prev_hash: str, content: str) -> str:
    return sha256(prev_hash + content)


def is_blank(table: str, values: dict[str, Any]) -> bool:
    return all(values[name] in (blank, None) for name, blank in ERASABLE[table].items())


class ChainedQuerySet(models.QuerySet):
    """Bulk changes are refused (append-only); `erase` is the one permitted change."""

    def _refuse(self, *args, **kwargs):
        raise RuntimeError(f"{self.model.__name__} rows are append-only")

    update = delete = bulk_update = _refuse

    def bulk_create(self, objs, *args, **kwargs):
        """New rows only, each hashed (and on SQLite linked) as `save` does, in order."""
        objs = list(objs)
        for obj in objs:
            obj.prepare_for_chain()
        return super().bulk_create(objs, *args, **kwargs)

    def erase(self) -> int:
        """Blank the erasable columns and the salt of these rows (anonymisation)."""
        table = self.model._meta.db_table
        blank = {name: value for name, value in ERASABLE[table].items()}
        return models.QuerySet.update(self.exclude(erasure_salt=""), erasure_salt="", **blank)


class ChainedModel(models.Model):
    """A history row in the chain: written once, never changed, never deleted."""

    content_hash = models.CharField(max_length=64, default="", editable=False)
    erasable_digest = models.CharField(max_length=64, default="", editable=False)
    erasure_salt = models.CharField(max_length=32, blank=True, editable=False)
    chain_seq = models.BigIntegerField(null=True, unique=True, editable=False)
    # NULL until sealed (at COMMIT on PostgreSQL), never empty: "" would be a hash.
    prev_hash = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001
    chain_hash = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001

    objects = ChainedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise RuntimeError(f"{type(self).__name__} rows are append-only")
        self.prepare_for_chain()
        return super().save(*args, **kwargs)

    def prepare_for_chain(self) -> None:
        """Hash a new row's content (and on SQLite give it its link) before its INSERT."""
        if self.pk is not None and not self._state.adding:
            raise RuntimeError(f"{type(self).__name__} rows are append-only")
        table = self._meta.db_table
        values = {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}
        # What the database will give back: JSON through its round trip, datetimes
        # at microseconds.
        erasable = {name: json.loads(canonical(values[name])) for name in ERASABLE[table]}
        if is_blank(table, erasable):
            self.erasure_salt = ""
        else:
            self.erasure_salt = secrets.token_hex(16)
        self.erasable_digest = digest_of(self.erasure_salt, erasable)
        self.content_hash = content_hash(table, values, self.erasable_digest)
        if connection.vendor != "postgresql":
            _seal_here(self)

    def delete(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__} rows are append-only")


def _seal_here(row: ChainedModel) -> None:
    """SQLite: the chain's next link, under the database's one write lock."""
    with connection.cursor() as cursor:
        # A write first, so this transaction holds SQLite's write lock from here.
        cursor.execute("UPDATE core_chainhead SET seq = seq WHERE id = 1")
        cursor.execute("SELECT seq, hash FROM core_chainhead WHERE id = 1")
        found = cursor.fetchone()
        if found is None:
            cursor.execute(
                "INSERT INTO core_chainhead (id, seq, hash) VALUES (1, 0, %s)", [GENESIS]
            )
            found = (0, GENESIS)
        seq, prev = int(found[0]) + 1, found[1]
        row.chain_seq, row.prev_hash = seq, prev
        row.chain_hash = link_hash(prev, row.content_hash)
        cursor.execute(
            "UPDATE core_chainhead SET seq = %s, hash = %s WHERE id = 1", [seq, row.chain_hash]
        )


# ---------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class Problem:
    table: str
    row_id: int | None
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.table} id {self.row_id}" if self.row_id is not None else self.table
        at = f" (link {self.seq})" if self.seq is not None else ""
        return f"{where}{at}: {self.reason}"


@dataclass(frozen=True)
class Result:
    rows: int
    erased: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _rows(model: type[models.Model], *, sealed: bool) -> Iterator[dict[str, Any]]:
    names = [f.attname for f in model._meta.concrete_fields]
    rows = models.QuerySet(model).filter(chain_seq__isnull=not sealed)
    return rows.order_by("chain_seq", "id").values(*names).iterator(chunk_size=2000)


def _model_for(table: str) -> type[models.Model]:
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.db_table == table:
            return model
    raise LookupError(table)


def _tagged(table: str, rows: Iterator[dict[str, Any]]) -> Iterator[tuple[int, str, dict]]:
    for row in rows:
        yield row["chain_seq"], table, row


def _check(table: str, row: dict[str, Any], prev: str, erased_ok) -> str | None:
    """What is wrong with one row given the hash before it, or None."""
    if row["prev_hash"] != prev:
        return "does not follow the row before it (prev_hash)"
    erasable = {name: row[name] for name in ERASABLE[table]}
    if row["erasure_salt"]:
        if digest_of(row["erasure_salt"], erasable) != row["erasable_digest"]:
            return "its text or details do not match their digest"
    elif not is_blank(table, erasable):
        return "text or details present without their salt"
    elif row["erasable_digest"] != digest_of("", dict(ERASABLE[table])) and (
        # Erased: only allowed where the privacy layer anonymised its subject.
        erased_ok is None or not erased_ok(table, row)
    ):
        return "erased, but its subject was not anonymised"
    if content_hash(table, row, row["erasable_digest"]) != row["content_hash"]:
        return "content does not match its hash"
    if row["chain_hash"] != link_hash(prev, row["content_hash"]):
        return "link hash does not match"
    return None


def verify(*, erased_ok=None) -> Result:
    """Walk the whole chain in order; stop at the first row that does not fit.

    `erased_ok(table, row)` says whether an erased row may be erased (the privacy
    layer passes one that asks whether its subject was anonymised or is past its term).
    """
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:  # seal what this transaction wrote so far
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    streams = []
    for table in CONTENT_FIELDS:
        model = _model_for(table)
        for row in _rows(model, sealed=False):
            return Result(0, 0, Problem(table, row["id"], None, "not in the chain (no link)"))
        streams.append(_tagged(table, _rows(model, sealed=True)))
    expected_seq, prev, count, erased = 1, GENESIS, 0, 0
    for seq, table, row in heapq.merge(*streams, key=lambda item: item[0]):
        count += 1
        if seq != expected_seq:
            reason = (
                f"link {expected_seq} is missing (removed?)"
                if seq > expected_seq
                else f"link {seq} appears twice"
            )
            return Result(count, erased, Problem(table, row["id"], seq, reason))
        if not row["erasure_salt"] and row["erasable_digest"] != digest_of(
            "", dict(ERASABLE[table])
        ):
            erased += 1
        if reason := _check(table, row, prev, erased_ok):
            return Result(count, erased, Problem(table, row["id"], seq, reason))
        prev, expected_seq = row["chain_hash"], expected_seq + 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, hash FROM core_chainhead WHERE id = 1")
        head = cursor.fetchone()
    head_seq, head_hash = (int(head[0]), head[1]) if head else (0, GENESIS)
    if (head_seq, head_hash) != (expected_seq - 1, prev):
        return Result(
            count,
            erased,
            Problem(
                HEAD_TABLE,
                None,
                head_seq,
                f"the chain ends at link {expected_seq - 1}, its head at link {head_seq}"
                " (rows removed at the end?)",
            ),
        )
    return Result(count, erased, None)


# ---------------------------------------------------------------------------
# The database's refusal (migrations call `install`), and the maintenance switch
# for the one legitimate way to empty the tables: a test database being flushed.

_state = threading.local()


def maintenance_on() -> bool:
    return getattr(_state, "maintenance", False)


@contextlib.contextmanager
def maintenance() -> Iterator[None]:
    """Let this connection empty the chained tables (test flush, a restore into a
    fresh database). Never used by the application itself."""
    previous = maintenance_on()
    _state.maintenance = True
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('klachtbeheer.maintenance', 'on', false)")
        yield
    finally:
        _state.maintenance = previous
        if connection.vendor == "postgresql" and not previous:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('klachtbeheer.maintenance', '', false)")
            except Exception:
                connection.close()


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """`connection_created`: SQLite's triggers ask Python whether maintenance is on; and
    what is erased or deleted is overwritten in the file, not left in free pages
    (`secure_delete`), so anonymisation leaves no trace in the database file either."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "kb_maintenance", 0, lambda: int(maintenance_on()), deterministic=False
        )
        connection.connection.execute("PRAGMA secure_delete = ON")


PG_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION kb_chain_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  erasable text[] := TG_ARGV;
  chain text[] := ARRAY['chain_seq', 'prev_hash', 'chain_hash'];
  col text;
BEGIN
  IF current_setting('klachtbeheer.maintenance', true) = 'on' THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    -- Sealing at commit: the chain columns of a row that has none, nothing else.
    IF OLD.chain_seq IS NULL AND (to_jsonb(NEW) - chain) = (to_jsonb(OLD) - chain) THEN
      RETURN NEW;
    END IF;
    -- Erasure: the erasable columns and the salt blanked, nothing else.
    IF NEW.erasure_salt = ''
       AND (to_jsonb(NEW) - erasable - 'erasure_salt') = (to_jsonb(OLD) - erasable - 'erasure_salt')
    THEN
      FOREACH col IN ARRAY erasable LOOP
        IF NOT ((to_jsonb(NEW) -> col) IN ('""'::jsonb, '{}'::jsonb)) THEN
          RAISE EXCEPTION 'klachtbeheer: % rows are append-only (UPDATE refused)', TG_TABLE_NAME;
        END IF;
      END LOOP;
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'klachtbeheer: % rows are append-only (% refused)', TG_TABLE_NAME, TG_OP;
END $$;

CREATE OR REPLACE FUNCTION kb_chain_seal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head_seq bigint;
  head_hash text;
  link text;
BEGIN
  IF NEW.chain_seq IS NOT NULL THEN RETURN NULL; END IF;  -- restored rows are sealed
  INSERT INTO core_chainhead (id, seq, hash) VALUES (1, 0, repeat('0', 64))
    ON CONFLICT (id) DO NOTHING;
  -- The head's lock: taken here, at COMMIT, held until the commit ends.
  SELECT seq, hash INTO head_seq, head_hash FROM core_chainhead WHERE id = 1 FOR UPDATE;
  link := encode(sha256(convert_to(head_hash || NEW.content_hash, 'UTF8')), 'hex');
  EXECUTE format(
    'UPDATE %I SET chain_seq = $1, prev_hash = $2, chain_hash = $3 WHERE id = $4', TG_TABLE_NAME
  ) USING head_seq + 1, head_hash, link, NEW.id;
  UPDATE core_chainhead SET seq = head_seq + 1, hash = link WHERE id = 1;
  RETURN NULL;
END $$;
"""


def _sqlite_blank(column: str, blank: Any) -> str:
    return f"NEW.{column} = '{canonical(blank) if blank != '' else ''}'"


def install_sql(vendor: str, table: str, columns: list[str]) -> list[str]:
    """The statements that make `table` refuse changes (and, on PostgreSQL, seal rows)."""
    erasable = ERASABLE[table]
    if vendor == "postgresql":
        args = ", ".join(f"'{name}'" for name in erasable)
        return [
            PG_FUNCTIONS,
            f"DROP TRIGGER IF EXISTS kb_guard ON {table}",
            f"CREATE TRIGGER kb_guard BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION kb_chain_guard({args})",
            f"DROP TRIGGER IF EXISTS kb_guard_truncate ON {table}",
            f"CREATE TRIGGER kb_guard_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION kb_chain_guard()",
            f"DROP TRIGGER IF EXISTS kb_seal ON {table}",
            f"CREATE CONSTRAINT TRIGGER kb_seal AFTER INSERT ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kb_chain_seal()",
        ]
    unchanged = " AND ".join(
        f'NEW."{c}" IS OLD."{c}"' for c in columns if c not in erasable and c != "erasure_salt"
    )
    blanks = " AND ".join(_sqlite_blank(c, b) for c, b in erasable.items())
    message = f"klachtbeheer: {table} rows are append-only"
    return [
        f"DROP TRIGGER IF EXISTS kb_guard_update_{table}",
        f"CREATE TRIGGER kb_guard_update_{table} BEFORE UPDATE ON {table} "
        f"WHEN kb_maintenance() = 0 AND NOT (NEW.erasure_salt = '' AND {blanks} AND {unchanged}) "
        f"BEGIN SELECT RAISE(ABORT, '{message} (UPDATE refused)'); END",
        f"DROP TRIGGER IF EXISTS kb_guard_delete_{table}",
        f"CREATE TRIGGER kb_guard_delete_{table} BEFORE DELETE ON {table} "
        f"WHEN kb_maintenance() = 0 "
        f"BEGIN SELECT RAISE(ABORT, '{message} (DELETE refused)'); END",
    ]


def uninstall_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {name} ON {table}"
            for name in ("kb_guard", "kb_guard_truncate", "kb_seal")
        ]
    return [f"DROP TRIGGER IF EXISTS kb_guard_{op}_{table}" for op in ("update", "delete")]


def install(model: type[models.Model], schema_editor) -> None:
    """Migrations: create the triggers of one chained table (from its historical model)."""
    vendor = schema_editor.connection.vendor
    columns = [f.column for f in model._meta.concrete_fields]
    for statement in install_sql(vendor, model._meta.db_table, columns):
        schema_editor.execute(statement, params=None)


def backfill(models_in_order: list[type[models.Model]], head_model, schema_editor) -> None:
    """Migrations: hash and link the rows written before the chain existed, oldest first."""
    rows = []
    for model in models_in_order:
        table = model._meta.db_table
        for row in model._base_manager.order_by("at", "id"):
            rows.append((row.at, table, model, row))
    rows.sort(key=lambda item: (item[0], item[1], item[3].pk))
    seq, prev = 0, GENESIS
    for _at, table, model, row in rows:
        values = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
        erasable = {name: json.loads(canonical(values[name])) for name in ERASABLE[table]}
        salt = "" if is_blank(table, erasable) else secrets.token_hex(16)
        digest = digest_of(salt, erasable)
        content = content_hash(table, values, digest)
        seq += 1
        link = link_hash(prev, content)
        models.QuerySet(model).filter(pk=row.pk).update(
            erasure_salt=salt,
            erasable_digest=digest,
            content_hash=content,
            chain_seq=seq,
            prev_hash=prev,
            chain_hash=link,
        )
        prev = link
    head_model.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": prev})
