"""What live models' rows did in a session's transaction, published after it commits.

After each flush, the live rows it inserted, updated and deleted are recorded
(their public dicts taken at once, while the rows are at hand), from one
``after_flush`` event of the session (a mapper event per row cost a commit of
10,000 rows 7 %, even doing nothing); a bulk ``update()`` or
``delete()`` of a live model records a refresh of the channels of the rows
it matched (read before it runs, and after, for an update). Before the
session commits, the records become one publication per channel
(:mod:`.deltas`), each row once, in its state at commit; after the commit they
are sent (:mod:`.sending`); a rollback drops them, and a rollback to a
savepoint drops what was recorded since it.
"""
import functools
import types

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from . import deltas, sending

_RECORDS = 'tgext.socketio.live.records'
_READY = 'tgext.socketio.live.ready'


def track(model):
    """Record the changes of ``model``'s rows (and of its subclasses': they inherit its
    ``__live__``)."""
    _listen_to_sessions()


@functools.lru_cache(maxsize=None)
def _listen_to_sessions():
    """Once per process: every session's flushes, commit, rollbacks and bulk statements."""
    event.listen(Session, 'after_flush', _flushed)
    event.listen(Session, 'before_commit', _before_commit)
    event.listen(Session, 'after_commit', _after_commit)
    event.listen(Session, 'after_soft_rollback', _after_soft_rollback)
    event.listen(Session, 'do_orm_execute', _bulk_statement)


def _spec(row):
    return getattr(type(row), '__live__', None)


def _flushed(session, flush_context):
    """Record what the flush did to live rows (the session still lists them, and their
    attributes' history is still there)."""
    savepoint, recorded = session.get_nested_transaction(), []

    def record(spec, channel, kind, key, value=None):
        recorded.append((savepoint, spec, channel, kind, key, value))
    for rows, changed in ((session.new, _inserted), (session.dirty, _updated),
                          (session.deleted, _deleted)):
        for row in rows:
            spec = _spec(row)
            if spec is not None:
                changed(record, spec, row)
    if recorded:
        session.info.setdefault(_RECORDS, []).extend(recorded)


def _inserted(record, spec, row):
    public = spec.public(row)
    key = spec.identity(row, public)
    for channel in spec.channels(row):
        record(spec, channel, 'upsert', key, public)


def _updated(record, spec, row):
    state = sa.inspect(row)
    before = spec.channels(_Before(row, state))
    after = spec.channels(row)
    public_changed = any(field not in state.attrs or state.attrs[field].history.has_changes()
                         for field in spec.fields)
    public = spec.public(row)
    key = spec.identity(row, public)
    for channel in before:
        if channel not in after:
            record(spec, channel, 'delete', key)
    for channel in after:
        if public_changed or channel not in before:
            record(spec, channel, 'upsert', key, public)


def _deleted(record, spec, row):
    for channel in spec.channels(_Before(row, sa.inspect(row))):
        record(spec, channel, 'delete', spec.identity(row))


class _Before:
    """A row's attributes as they were before this flush changed them."""

    def __init__(self, row, state):
        self._row, self._attrs = row, state.attrs

    def __getattr__(self, name):
        if name in self._attrs:
            history = self._attrs[name].history
            if history.deleted:
                return history.deleted[0]
        return getattr(self._row, name)


def _bulk_statement(execute_state):
    """A bulk ``update()``/``delete()`` of a live model: refresh the channels it touched."""
    if not (execute_state.is_update or execute_state.is_delete):
        return None
    mapper = execute_state.bind_mapper
    spec = getattr(mapper.class_, '__live__', None) if mapper is not None else None
    if spec is None:
        return None
    session, statement = execute_state.session, execute_state.statement
    matched = _rows_where(session, mapper, statement.whereclause)
    result = execute_state.invoke_statement()
    if execute_state.is_update and matched:
        primary_key = mapper.primary_key[0]
        keys = [getattr(row, mapper.get_property_by_column(primary_key).key) for row in matched]
        matched += _rows_where(session, mapper, primary_key.in_(keys))
    savepoint = session.get_nested_transaction()
    session.info.setdefault(_RECORDS, []).extend(
        (savepoint, spec, channel, 'refresh', None, None)
        for channel in sorted({channel for row in matched for channel in spec.channels(row)}))
    return result


def _rows_where(session, mapper, whereclause):
    """Rows of ``mapper`` matching ``whereclause`` as plain objects (the ORM's identity
    map left alone)."""
    columns = [prop.columns[0].label(prop.key) for prop in mapper.column_attrs]
    query = sa.select(*columns)
    if whereclause is not None:
        query = query.where(whereclause)
    return [types.SimpleNamespace(**row) for row in session.execute(query).mappings()]


def _before_commit(session):
    if session.in_nested_transaction():
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush comes after this hook: record it now
    records = session.info.pop(_RECORDS, None)
    if records:
        session.info[_READY] = sending.prepare(session, _publications(records))


def _publications(records):
    """``[(namespace, channel, data)]``: one publication per channel, each row once."""
    channels = {}
    for _, spec, channel, kind, key, value in records:
        entries = channels.setdefault((spec.namespace, channel), {})
        rows = entries.setdefault(spec, {})
        if kind == 'refresh':
            rows[None] = ('refresh', None)
        else:
            rows.pop(key, None)  # keeps the order of each row's last change
            rows[key] = (kind, value)
    return [(namespace, channel, deltas.publication(
        [_entry(spec, rows) for spec, rows in entries.items()]))
        for (namespace, channel), entries in channels.items()]


def _entry(spec, rows):
    if None in rows:
        return deltas.refresh(spec.name)
    return deltas.delta(spec.name, spec.key,
                        [value for kind, value in rows.values() if kind == 'upsert'],
                        [key for key, (kind, _) in rows.items() if kind == 'delete'])


def _after_commit(session):
    ready = session.info.pop(_READY, None)
    if ready:
        sending.send(ready)


def _after_soft_rollback(session, previous_transaction):
    """Forget what the rolled back transaction recorded (a savepoint's: what was recorded
    since it)."""
    if previous_transaction.parent is None:
        session.info.pop(_RECORDS, None)
        session.info.pop(_READY, None)
        return
    records = session.info.get(_RECORDS)
    if previous_transaction.nested and records:
        records[:] = [record for record in records
                      if not _inside(record[0], previous_transaction)]


def _inside(savepoint, rolled_back):
    while savepoint is not None:
        if savepoint is rolled_back:
            return True
        savepoint = savepoint.parent
    return False
