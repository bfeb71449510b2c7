"""The README's transactional-publishing and live-model snippets, run as written."""
import os
import re

import sqlalchemy as sa
import transaction
from sqlalchemy.orm import scoped_session, sessionmaker
from zope.sqlalchemy import register

from tgext.socketio import PubSubNamespace
from tgext.socketio.testing import SocketIOTestClient
from tests.helpers import ROOT, in_process_app

README = open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read()


def snippet(tag):
    [code] = re.findall(r'<!-- %s -->\n```python\n(.*?)```' % tag, README, re.S)
    return code


class Rooms(PubSubNamespace):
    def subscribe_room(self, number):
        return 'room-%s' % number

    def subscribe_todos(self, list_id):
        return 'todos-%s' % list_id


def publications(client, namespace):
    client.call('unsubscribe', 'nothing', namespace=namespace)  # a round trip
    return [event['args'][0] for event in client.get_received(namespace)
            if event['name'] == 'publication']


def test_the_transactional_snippet_sends_at_the_commit():
    app = in_process_app({'/chat': Rooms})
    with SocketIOTestClient(app, namespaces=['/chat']) as client:
        client.call('subscribe', 'room', '1', namespace='/chat')
        exec(compile(snippet('readme-transactional'), 'README.md', 'exec'), {})
        assert publications(client, '/chat') == [{'message': 'saved'}]


def test_the_live_model_snippet_publishes_its_commits(tmp_path):
    code = {}
    exec(compile(snippet('readme-live'), 'README.md', 'exec'), code)
    engine = sa.create_engine('sqlite:///%s' % (tmp_path / 'todos.db'))
    code['DeclarativeBase'].metadata.create_all(engine)
    session = scoped_session(sessionmaker(bind=engine))
    register(session)
    app = in_process_app({'/todos': Rooms})
    with SocketIOTestClient(app, namespaces=['/todos']) as client:
        client.call('subscribe', 'todos', '7', namespace='/todos')
        with transaction.manager:
            session.add(code['Todo'](list_id=7, text='milk', notes='private'))
        assert publications(client, '/todos') == [{'live': [{
            'model': 'Todo', 'key': 'id', 'delete': [],
            'upsert': [{'id': 1, 'text': 'milk', 'done': False}]}]}]
    session.remove()
    engine.dispose()
