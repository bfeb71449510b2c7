"""Which methods of a namespace class answer which client events."""
import pytest

from tgext.socketio import PubSubNamespace, SocketIONamespace, on
from tgext.socketio.namespaces.base import event_handlers


class Lobby(SocketIONamespace):
    def on_hello(self):
        return 'hi'

    @on('user:typing')
    def typing(self, channel):
        return channel

    def on_connect(self):
        pass


def test_handlers_are_on_methods_and_decorated_ones_never_connect_or_disconnect():
    assert event_handlers(Lobby) == {'hello': 'on_hello', 'user:typing': 'typing'}
    assert set(event_handlers(PubSubNamespace)) == {'subscribe', 'unsubscribe', 'recover', 'history',
                                                    'presence', 'presence_stats'}


def test_connect_and_disconnect_cannot_be_claimed_by_a_client_event():
    with pytest.raises(ValueError):
        on('disconnect')
