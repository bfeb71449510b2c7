"""The transactional outbox: live publications kept in the app's own database until sent.

Off by default. On (``socketio.outbox = true`` in the app's config, or
:func:`tgext.socketio.live.configure` ``(outbox=True)`` in a process without
one), each live publication of a transaction is also written, in that same
transaction, as a row of the outbox table, and gets a message id (``"id"`` of
its data, see :mod:`.deltas`). So a change is committed with its publication
or not at all. After the commit the publication is sent as without the
outbox, then its row is deleted; a send that fails (the bus is down) leaves
it, and so does a process that dies between its commit and its send.

The serving processes relay what was left: every ``socketio.outbox.interval``
seconds, each claims (at most ``socketio.outbox.batch``) rows whose writer has
held them longer than ``socketio.outbox.lease`` seconds without deleting them
(``FOR UPDATE SKIP LOCKED`` where the database has it), publishes each unless
the channel's history already holds its message id (the writer died after
publishing, before deleting), and deletes it. A relayed publication also asks
views to read its models' rows again (a refresh entry after its deltas): newer
changes of the same rows may have been published before it.

Delivered once, as long as the channel's history (``socketio.history``) still
keeps a publication when the relay looks for it; beyond that, at least once
(deltas are idempotent). Publications sent with ``publish()`` are not kept.

The table (``socketio.outbox.table``, default ``socketio_outbox``) is created when
first needed; :func:`table` gives it for your own metadata (alembic).
"""
import json
import logging
import time
import uuid

import gevent
import sqlalchemy as sa
import tg
from tg.support.converters import asbool

from ..edge.gevent_check import is_monkey_patched
from ..namespaces.runtime import current
from ..pubsub import publishing
from . import deltas

log = logging.getLogger(__name__)

DEFAULT_TABLE = 'socketio_outbox'

#: Settings (``socketio.outbox.NAME``) of the relay, with their defaults.
DEFAULTS = {'lease': 30.0, 'interval': 1.0, 'batch': 100}

#: Set by :func:`tgext.socketio.live.configure`: ``outbox`` (True/False, None: the config's
#: ``socketio.outbox``) and ``table``.
CONFIGURED = {'outbox': None, 'table': None}

#: A relayed publication's history is looked for from this long before its row was written
#: (clocks of the writers and the relays may differ).
CLOCK_SKEW = 60.0

_tables = {}   # name -> Table
_ensured = set()  # (engine url, table name) known to exist
_relays = {}   # (engine url, table name) -> Relay running in this process


def table(name=DEFAULT_TABLE, metadata=None):
    """The outbox table ``name``; in ``metadata`` (your own, for alembic) if given.

    ``id``: the message id; ``namespace``, ``channel``, ``data`` (JSON text): the
    publication; ``created``: when it was written, ``claimed``: until ``claimed +
    lease`` its writer (or a relay, ``claim`` naming which) is sending it (Unix times).
    """
    if metadata is None:
        if name not in _tables:
            _tables[name] = table(name, sa.MetaData())
        return _tables[name]
    return sa.Table(
        name, metadata,
        sa.Column('id', sa.String(32), primary_key=True),
        sa.Column('namespace', sa.Text, nullable=False),
        sa.Column('channel', sa.Text, nullable=False),
        sa.Column('data', sa.Text, nullable=False),
        sa.Column('created', sa.Float, nullable=False),
        sa.Column('claimed', sa.Float, nullable=False, index=True),
        sa.Column('claim', sa.String(32)),
    )


def create(bind, name=DEFAULT_TABLE):
    """Create the outbox table ``name`` in ``bind`` (an engine or a connection) if missing."""
    table(name).create(bind, checkfirst=True)


def _table_name(conf):
    return conf.get('socketio.outbox.table') or DEFAULT_TABLE


def enabled_in(conf):
    """The outbox table name if ``conf`` (a TurboGears config) enables the outbox, else None."""
    return _table_name(conf) if asbool(conf.get('socketio.outbox', False)) else None


def _writing():
    """The outbox table this process writes its live publications to, or None."""
    if CONFIGURED['outbox'] is not None:
        return (CONFIGURED['table'] or DEFAULT_TABLE) if CONFIGURED['outbox'] else None
    runtime = current()
    return enabled_in(runtime.conf if runtime is not None else tg.config)


class Kept(list):
    """Prepared publications whose rows are in the outbox of ``engine``, ``table``."""

    def __init__(self, prepared, engine, outbox):
        super().__init__(prepared)
        self.engine, self.table = engine, outbox


def keep(session, prepared):
    """``prepared`` (``[(target, namespace, channel, data)]``), written to the outbox in the
    transaction of ``session`` with a message id each, or as it is when the outbox is off."""
    name = _writing()
    if name is None or not prepared:
        return prepared
    outbox = table(name)
    connection = session.connection()
    if (str(connection.engine.url), name) not in _ensured:
        outbox.create(connection, checkfirst=True)  # in this transaction: no lock of its own
    now, kept, rows = time.time(), [], []
    for target, namespace, channel, data in prepared:
        message = uuid.uuid4().hex
        data = dict(data, id=message)
        kept.append((target, namespace, channel, data))
        rows.append({'id': message, 'namespace': namespace, 'channel': channel,
                     'data': json.dumps(data, allow_nan=False), 'created': now, 'claimed': now})
    connection.execute(outbox.insert(), rows)
    return Kept(kept, connection.engine, outbox)


def sent(prepared, published):
    """After the commit: delete the rows of the ``published`` data of ``prepared``."""
    if not isinstance(prepared, Kept):
        return
    _ensured.add((str(prepared.engine.url), prepared.table.name))
    if published:
        try:
            delete(prepared.engine, prepared.table, [data['id'] for data in published])
        except Exception as error:  # sent already: a relay will find them in the history
            log.warning('Live publications sent but left in the outbox: %s', error)


def delete(engine, outbox, ids):
    """Delete the rows ``ids`` of ``outbox`` (a transaction of its own)."""
    with engine.begin() as connection:
        connection.execute(outbox.delete().where(outbox.c.id.in_(ids)))


def attach(server, bus, hooks):
    """The relay, a feature of the app's servers: started once per database and table in a
    serving (monkey-patched) process whose config enables the outbox; nothing otherwise."""
    conf = server.runtime.conf
    name = enabled_in(conf)
    if name is None or not is_monkey_patched():
        return
    relay = Relay(conf, table(name), publishing.target_of(server), **{
        setting: type(default)(conf.get('socketio.outbox.' + setting, default))
        for setting, default in DEFAULTS.items()})
    gevent.spawn(relay.run)


def _engine_of(conf):
    """The engine of the app's database: ``socketio.outbox.url``, the bind of the config's
    ``DBSession``, or ``sqlalchemy.url``."""
    url = conf.get('socketio.outbox.url')
    if not url:
        factory = getattr(conf.get('DBSession'), 'session_factory', None)
        bind = factory.kw.get('bind') if factory is not None else None
        if bind is not None:
            return bind
        url = conf.get('sqlalchemy.url')
    if not url:
        return None
    return sa.create_engine(url)


class Relay:
    """Publishes what writers left in one outbox table, in a greenlet of a serving process."""

    def __init__(self, conf, outbox, target, lease, interval, batch):
        self.conf, self.table, self.target = conf, outbox, target
        self.lease, self.interval, self.batch = lease, interval, batch
        self.engine = None
        self.stopped = False  # another server's relay does this table
        self.relayed = self.found_sent = 0  # published by the relay / found in the history

    def run(self):
        while not self.stopped:
            try:
                if self._start():
                    while self.once() == self.batch:  # more waiting: go on at once
                        gevent.sleep(0)
            except Exception as error:  # the bus or the database is down: later
                log.warning('Outbox relay of %s: %s; trying again in %s s', self.table.name,
                            error, self.interval)
            gevent.sleep(self.interval)

    def _start(self):
        """Find the engine (the app may bind its session after its servers are built)."""
        if self.engine is not None:
            return True
        engine = _engine_of(self.conf)
        if engine is None:
            return False
        key = (str(engine.url), self.table.name)
        if _relays.setdefault(key, self) is not self:  # another server's relay does it
            self.stopped = True
            return False
        try:
            self.table.create(engine, checkfirst=True)
        except sa.exc.DBAPIError:  # created at the same time by another process?
            if not sa.inspect(engine).has_table(self.table.name):
                raise
        _ensured.add(key)
        self.engine = engine
        return True

    def once(self):
        """Relay one batch: the number of rows claimed."""
        outbox, now = self.table, time.time()
        late = outbox.c.claimed < now - self.lease
        with self.engine.connect() as connection:  # a read, so a waiting one locks nothing
            if connection.execute(sa.select(outbox.c.id).where(late).limit(1)).first() is None:
                return 0
        claim = uuid.uuid4().hex
        with self.engine.begin() as connection:
            oldest = (sa.select(outbox.c.id).where(late).order_by(outbox.c.created)
                      .limit(self.batch).with_for_update(skip_locked=True))
            connection.execute(outbox.update().where(outbox.c.id.in_(oldest)).where(late)
                               .values(claimed=now, claim=claim))
            rows = connection.execute(sa.select(outbox).where(outbox.c.claim == claim)
                                      .order_by(outbox.c.created)).all()
        done = []
        try:
            for row in rows:
                self._publish(row)
                done.append(row.id)
        finally:
            self._finish(done, [row.id for row in rows[len(done):]], claim)
        return len(rows)

    def _publish(self, row):
        data = json.loads(row.data)
        kept, _ = publishing.history_through(self.target, row.channel,
                                             {'time': row.created - CLOCK_SKEW})
        if any(isinstance(old, dict) and old.get('id') == row.id for old, _ in kept):
            self.found_sent += 1
            return
        publishing.publish_to(self.target, row.channel, relayed(data), row.namespace,
                              immediate=True)
        self.relayed += 1

    def _finish(self, done, unsent, claim):
        """Delete what was sent; what was not may be claimed again at once."""
        outbox = self.table
        with self.engine.begin() as connection:
            if done:
                connection.execute(outbox.delete().where(outbox.c.id.in_(done)))
            if unsent:
                connection.execute(outbox.update().where(outbox.c.id.in_(unsent))
                                   .where(outbox.c.claim == claim).values(claimed=0.0))


def relayed(data):
    """``data`` of a live publication, with a refresh of each of its models after its deltas."""
    entries = list(data.get('live') or ())
    models = [entry['model'] for entry in entries if not entry.get('refresh')]
    refreshed = {entry['model'] for entry in entries if entry.get('refresh')}
    entries += [deltas.refresh(model) for model in dict.fromkeys(models) if model not in refreshed]
    return dict(data, live=entries)
