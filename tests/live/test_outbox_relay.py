"""The outbox's parts in one process: what is written with the transaction, and one relay
round over a SQLite table (the real processes are in test_outbox.py)."""
import json
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, declarative_base

from tgext.socketio.live import configure, live, outbox, sending
from tgext.socketio.pubsub import publishing
from tgext.socketio.pubsub.stores import HistoryPolicy, store_for

Base = declarative_base()


@live(channel='notes-{board}', fields=('id', 'text'), namespace='/notes')
class Note(Base):
    __tablename__ = 'relay_notes'
    id = sa.Column(sa.Integer, primary_key=True)
    board = sa.Column(sa.Integer, nullable=False)
    text = sa.Column(sa.String(50), nullable=False)


class Target(publishing._Target):
    """A memory history, and the emits kept in a list; both refused while ``down`` (as a
    Redis that is down refuses both)."""

    def __init__(self):
        self.sent, self.down = [], False
        super().__init__(store_for('memory://'), HistoryPolicy('*:100:300'), self._emit,
                         'publication')
        append = self.record

        def record(*args):
            if self.down:
                raise ConnectionError('the bus is down')
            return append(*args)
        self.record = record

    def _emit(self, event, data, namespace, room):
        if self.down:
            raise ConnectionError('the bus is down')
        self.sent.append((data[1], data[0], namespace))


@pytest.fixture
def engine(tmp_path):
    engine = sa.create_engine('sqlite:///%s' % (tmp_path / 'notes.db'))
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def target(monkeypatch):
    """Live publications of this process go to a Target; the outbox is on."""
    target = Target()
    monkeypatch.setattr(sending, '_target', lambda namespace: target)
    configure(outbox=True)
    yield target
    configure()


def rows(engine):
    if not sa.inspect(engine).has_table(outbox.DEFAULT_TABLE):
        return []
    with engine.connect() as connection:
        return connection.execute(sa.select(outbox.table()).order_by('created')).all()


def relay(engine, target, lease=0.0):
    relay = outbox.Relay({}, outbox.table(), target, lease=lease, interval=0.1, batch=10)
    relay.engine = engine
    return relay


def test_rows_are_written_with_the_commit_and_deleted_once_sent(engine, target):
    with Session(engine) as session:
        session.add_all([Note(board=1, text='a'), Note(board=2, text='b')])
        session.commit()
    assert [(channel, data['live'][0]['upsert']) for channel, data, _ in target.sent] == [
        ('notes-1', [{'id': 1, 'text': 'a'}]), ('notes-2', [{'id': 2, 'text': 'b'}])]
    assert all(len(data['id']) == 32 for _, data, _ in target.sent)
    assert rows(engine) == []


def test_a_commit_that_fails_after_the_rows_were_written_leaves_none(engine, target):
    def fail(session):
        raise RuntimeError('a later before_commit listener refuses')
    event.listen(Session, 'before_commit', fail)
    try:
        with pytest.raises(RuntimeError), Session(engine) as session:
            session.add(Note(board=1, text='never'))
            session.commit()
    finally:
        event.remove(Session, 'before_commit', fail)
    assert rows(engine) == [] and target.sent == []


def test_a_failed_send_leaves_the_row_and_the_relay_sends_it_with_a_refresh(engine, target):
    target.down = True
    with Session(engine) as session:
        session.add(Note(board=1, text='kept'))
        session.commit()
    [row] = rows(engine)
    assert (row.namespace, row.channel) == ('/notes', 'notes-1')
    assert relay(engine, target, lease=60).once() == 0  # its writer's lease holds it
    with pytest.raises(ConnectionError):  # still down: released, not lost (run() logs it)
        relay(engine, target).once()
    assert rows(engine)[0].claimed == 0.0 and target.sent == []
    target.down = False
    assert relay(engine, target).once() == 1
    [(channel, data, namespace)] = target.sent
    assert (channel, namespace, data['id']) == ('notes-1', '/notes', row.id)
    assert data['live'] == [{'model': 'Note', 'key': 'id', 'upsert': [{'id': 1, 'text': 'kept'}],
                             'delete': []}, {'model': 'Note', 'refresh': True}]
    assert rows(engine) == []


def test_a_row_whose_publication_is_in_the_history_is_deleted_and_not_sent_again(engine,
                                                                                  target):
    with Session(engine) as session:
        session.add(Note(board=1, text='sent once'))
        session.commit()
    [(_, data, _)] = target.sent
    with engine.begin() as connection:  # as left by a writer that died before deleting
        connection.execute(outbox.table().insert().values(
            id=data['id'], namespace='/notes', channel='notes-1', data=json.dumps(data),
            created=time.time(), claimed=0.0))
    the_relay = relay(engine, target)
    assert the_relay.once() == 1
    assert (len(target.sent), the_relay.found_sent, the_relay.relayed) == (1, 1, 0)
    assert rows(engine) == []


def test_without_the_outbox_nothing_is_written(engine, monkeypatch):
    target = Target()
    monkeypatch.setattr(sending, '_target', lambda namespace: target)
    with Session(engine) as session:
        session.add(Note(board=1, text='plain'))
        session.commit()
    [(_, data, _)] = target.sent
    assert 'id' not in data
    assert not sa.inspect(engine).has_table(outbox.DEFAULT_TABLE)


def test_relayed_adds_one_refresh_per_model_not_refreshed_already():
    data = {'id': 'x', 'live': [{'model': 'A', 'upsert': [], 'delete': [1]},
                                {'model': 'B', 'refresh': True}]}
    assert outbox.relayed(data)['live'][2:] == [{'model': 'A', 'refresh': True}]
