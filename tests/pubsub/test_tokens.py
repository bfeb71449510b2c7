"""Subscription tokens: what a controller authorized, the socket accepts; nothing else."""
import time

import pytest

from tgext.socketio import PubSubNamespace, publish
from tgext.socketio.pubsub import tokens
from tgext.socketio.testing import SocketIOTestClient
from tests.helpers import in_process_app

SECRET = 'a test secret'


class Board(PubSubNamespace):
    def subscribe_board(self, name):
        return False  # only tokens open a board here


@pytest.fixture
def app():
    return in_process_app({'/board': Board}, **{'socketio.token_secret': SECRET})


def token(channel='board-1', namespace='/board', userid=None, ttl=60, secret=SECRET):
    return tokens.issue(secret.encode(), channel, namespace, userid, ttl)


def subscribe(app, with_token):
    client = SocketIOTestClient(app, namespaces=['/board'])
    return client, client.call('subscribe', {'token': with_token}, namespace='/board')


def test_a_token_subscribes_to_its_channel_and_deltas_follow(app):
    client, answer = subscribe(app, token())
    with client:
        assert answer == 'board-1'
        publish('board-1', {'n': 1}, namespace='/board')
        assert client.wait_for('publication', namespace='/board')[:2] == [{'n': 1}, 'board-1']


@pytest.mark.parametrize('bad, reason', [
    (lambda: token(secret='another secret'), 'invalid_token'),
    (lambda: token()[:-2] + 'AA', 'invalid_token'),
    (lambda: 'not.a-token', 'invalid_token'),
    (lambda: ['a', 'list'], 'invalid_token'),
    (lambda: token(ttl=-1), 'expired_token'),
    (lambda: token(userid='alice'), 'token_elsewhere'),  # this client is anonymous
    (lambda: token(namespace='/other'), 'token_elsewhere'),
], ids=['forged', 'tampered', 'malformed', 'not-a-string', 'expired', 'other-user',
        'other-namespace'])
def test_a_bad_token_is_refused_and_subscribes_to_nothing(app, bad, reason):
    client, answer = subscribe(app, bad())
    with client:
        assert answer['error']['name'] == 'subscription_rejected'
        assert answer['error']['reason'] == reason
        publish('board-1', {'n': 1}, namespace='/board')
        client.call('unsubscribe', 'nothing', namespace='/board')  # a round trip
        assert [event['name'] for event in client.get_received('/board')] == ['error']


def test_without_a_secret_no_token_is_accepted():
    app = in_process_app({'/board': Board})
    client, answer = subscribe(app, token())
    with client:
        assert answer['error']['reason'] == 'invalid_token'


def test_tokens_expire():
    issued = tokens.issue(b's', 'c', '/', None, 1)
    assert tokens.verify(b's', issued, '/', None) == 'c'
    time.sleep(1.1)
    with pytest.raises(tokens.SubscriptionRejected, match='expired'):
        tokens.verify(b's', issued, '/', None)
