"""The transactional outbox: every committed live change is delivered once, whatever dies.

Real processes: a serving app on Redis whose relay reads the outbox
(``tests/sample_apps/outbox_todos.py``), writer scripts killed with SIGKILL
(``tests/live/outbox_writer.py``), subscribers speaking Socket.IO with the official
client; on a SQLite file shared by the processes and on a PostgreSQL cluster of its own.
"""
import subprocess
import time

import pytest
import requests
import sqlalchemy as sa

from tests import servers
from tests.helpers import PYTHON, ROOT, client, start_app
from tgext.socketio.live import outbox

LEASE, INTERVAL = 1.0, 0.2
#: Long enough for the relay to have claimed, published and deleted a row several times over.
SETTLE = LEASE + 5 * INTERVAL + 0.5


@pytest.fixture(scope='module', params=['sqlite', 'postgresql'])
def database(request, tmp_path_factory):
    if request.param == 'sqlite':
        yield 'sqlite:///%s' % (tmp_path_factory.mktemp('outbox') / 'todos.db')
        return
    postgres = servers.Postgres()
    yield postgres.url
    postgres.close()


@pytest.fixture(scope='module')
def engine(database):
    engine = sa.create_engine(database)
    yield engine
    engine.dispose()


def serve(database, redis):
    return start_app(['-m', 'tests.sample_apps.outbox_todos'], backend=redis.url,
                     env={'OUTBOX_DB_URL': database, 'OUTBOX_LEASE': str(LEASE),
                          'OUTBOX_INTERVAL': str(INTERVAL)})


@pytest.fixture(scope='module')
def app(database):
    """A serving process (it relays) on its Redis."""
    redis = servers.Redis()
    process = serve(database, redis)
    process.redis = redis
    yield process
    process.stop()
    redis.close()


def subscriber(app, list_id):
    sio, recorder = client(app.url, '/todos')
    assert sio.call('subscribe', ('todos', str(list_id)), namespace='/todos',
                    timeout=10) == 'todos-%d' % list_id
    return sio, recorder


def write(database, redis, list_id, text, *options, returncode=0):
    """Run the writer script to its end (or its death)."""
    done = subprocess.run([PYTHON, '-m', 'tests.live.outbox_writer', database, redis.url,
                           str(list_id), text] + list(options),
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == returncode, done.stdout + done.stderr
    return done


def texts(recorder):
    """Each publication received: the texts it upserts, and whether it asks for a refresh."""
    return [([row['text'] for entry in data['live'] for row in entry.get('upsert', ())],
             any(entry.get('refresh') for entry in data['live']))
            for data, channel, position in recorder.of('publication')]


def outbox_rows(engine):
    if not sa.inspect(engine).has_table(outbox.DEFAULT_TABLE):
        return []
    with engine.connect() as connection:
        return connection.execute(sa.select(outbox.table()).order_by('created')).all()


def committed(engine, text):
    with engine.connect() as connection:
        return connection.execute(sa.text('SELECT count(*) FROM outbox_todos WHERE text = :t'),
                                  {'t': text}).scalar()


def wait_until(condition, timeout=20, what='condition'):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, 'timed out waiting for %s' % what
        time.sleep(0.05)


def test_a_writer_killed_right_after_its_commit_is_relayed_once(app, database, engine):
    sio, recorder = subscriber(app, 1)
    try:
        write(database, app.redis, 1, 'killed after commit', '--rollback', 'never committed',
              '--die', 'after_commit', returncode=-9)
        assert committed(engine, 'killed after commit') == 1
        recorder.wait_for('publication', 1, timeout=20)
        wait_until(lambda: outbox_rows(engine) == [], what='the outbox to empty')
        time.sleep(SETTLE)
        # relayed (the writer sent nothing): its delta, then a refresh of its model
        assert texts(recorder) == [(['killed after commit'], True)]
        [(data, channel, _)] = recorder.of('publication')
        assert channel == 'todos-1' and len(data['id']) == 32
    finally:
        sio.disconnect()


def test_a_writer_killed_after_publishing_is_not_published_again(app, database, engine):
    sio, recorder = subscriber(app, 2)
    try:
        write(database, app.redis, 2, 'killed after publish', '--die', 'after_publish',
              returncode=-9)
        recorder.wait_for('publication', 1, timeout=20)
        assert len(outbox_rows(engine)) == 1  # sent, not deleted: the relay finds it sent
        wait_until(lambda: outbox_rows(engine) == [], what='the outbox to empty')
        time.sleep(SETTLE)
        assert texts(recorder) == [(['killed after publish'], False)]  # the writer's own
    finally:
        sio.disconnect()


def test_a_writer_that_lives_deletes_what_it_sent(app, database, engine):
    sio, recorder = subscriber(app, 3)
    try:
        write(database, app.redis, 3, 'plain', '--rollback', 'rolled back')
        recorder.wait_for('publication', 1, timeout=20)
        assert outbox_rows(engine) == []
        time.sleep(SETTLE)
        assert texts(recorder) == [(['plain'], False)]
    finally:
        sio.disconnect()


def test_an_action_of_the_app_writes_through_the_outbox_of_its_config(app, engine):
    """socketio.outbox = true in the app's config: its own commits use the outbox too."""
    sio, recorder = subscriber(app, 5)
    try:
        assert requests.get(app.url + '/add', params={'text': 'from an action', 'list_id': 5},
                            timeout=10).status_code == 200
        [(data, _, _)] = recorder.wait_for('publication', 1, timeout=20)
        assert len(data['id']) == 32  # the message id: it went through the outbox
        assert outbox_rows(engine) == []
        time.sleep(SETTLE)
        assert texts(recorder) == [(['from an action'], False)]
    finally:
        sio.disconnect()


def test_changes_committed_while_redis_is_down_are_delivered_once_it_is_back(app, database,
                                                                             engine):
    """Last of the file: it stops the app's Redis (it comes back on the same port, its data
    kept)."""
    redis = app.redis
    sio, recorder = subscriber(app, 4)
    try:
        redis.stop()
        write(database, redis, 4, 'while redis was down', '--rollback', 'rolled back meanwhile')
        write(database, redis, 4, 'and another one')
        assert [row.channel for row in outbox_rows(engine)] == ['todos-4', 'todos-4']
        time.sleep(LEASE + 2 * INTERVAL)  # the relay tries, and fails, while Redis is down
        assert recorder.of('publication') == []
        redis.start()
        recorder.wait_for('publication', 2, timeout=30)
        wait_until(lambda: outbox_rows(engine) == [], what='the outbox to empty')
        time.sleep(SETTLE)
        assert texts(recorder) == [(['while redis was down'], True),
                                   (['and another one'], True)]
        assert committed(engine, 'rolled back meanwhile') == 0
    finally:
        sio.disconnect()
