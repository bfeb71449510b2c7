"""Widgets of every shape on one page, and a namespace that pushes each kind of update.

Run as a server: ``python -m tests.apps.gallery --port N``.
"""
if __name__ == '__main__':
    from gevent import monkey
    monkey.patch_all()

import os  # noqa: E402

import tw2.core as twc  # noqa: E402
from tg import TGController, expose  # noqa: E402

from axf_ractive import RactiveWidget, on_event, on_publication, update  # noqa: E402
from tgext.socketio import PubSubNamespace, SocketIOController, publish  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
XSS_TITLE = '</script><script>window.pwned = 1</script>'
XSS_BODY = '<img src=x onerror="window.pwned = 1"> <!-- \u2028\u2029 {{not mustache}}'


class Card(RactiveWidget):
    """Two root nodes."""

    ractive_params = ['title', 'body']
    title = twc.Param(default='')
    body = twc.Param(default='')
    ractive_template = '<h2 class="card-title">{{title}}</h2><p class="card-body">{{body}}</p>'


class Parent(RactiveWidget):
    ractive_params = ['label']
    label = twc.Param(default='parent')
    ractive_template = '<h3 class="parent">{{label}}</h3>'
    ractive_init = "ractive.set('label', ractive.get('label') + ' (ready)');"


class Board(RactiveWidget):
    namespace = '/board'
    ractive_params = ['score', 'note', 'headline', 'profile', 'items']
    score = twc.Param(default=0)
    note = twc.Param(default='')
    headline = twc.Param(default='')
    profile = twc.Param(default={'name': 'Ada', 'city': 'London'})
    items = twc.Param(default=[{'id': 1, 'name': 'one'}, {'id': 2, 'name': 'two'}])
    bindings = [on_event('score', set='score'), on_event('item', append='items'),
                on_event('profile', merge='profile'), on_event('gone', remove='items', key='id'),
                on_publication('board', append='items')]
    ractive_template = """
<p id="score">{{score}}</p><p id="note">{{note}}</p><p id="headline">{{headline}}</p>
<p id="profile">{{profile.name}} {{profile.city}}</p>
<ul id="items">{{#items:i}}<li class="item">{{name}}</li>{{/items}}</ul>
<button id="change" on-click="@this.send('change')">change</button>
"""


class BoardNamespace(PubSubNamespace):
    def subscribe_board(self):
        return 'board'

    def on_change(self):
        self.emit('score', 42)
        self.emit('item', {'id': 3, 'name': 'three'})
        self.emit('profile', {'city': 'Turin'})
        self.emit('gone', {'id': 1})
        self.emit('ractive', update('board', 'direct!', set='note'))


class SocketIO(SocketIOController):
    board = BoardNamespace


class RootController(TGController):
    socketio = SocketIO()

    @expose('gallery.html')
    def index(self):
        return dict(widgets=[
            Card(id='first', title='One', body='first body'),
            Card(id='second', title='Two', body='second body'),
            Card(id='xss', title=XSS_TITLE, body=XSS_BODY),
            Parent(id='parent', nested=[Card(id='child', title='Child', body='inside')]),
            Board(id='board'),
        ])

    @expose('gallery.html')
    def cards(self):
        """Widgets with no socket use: the page needs no Socket.IO client."""
        return dict(widgets=[Card(id='lonely', title='Alone')])

    @expose('json')
    def announce(self, text):
        publish('board', update('board', text, set='headline'), namespace='/board')
        publish('board', {'id': 9, 'name': 'from controller'}, namespace='/board')
        return dict(published='board')


def make_app(global_conf=None, **app_conf):
    from examples.configuration import configurator
    return configurator(RootController(), os.path.join(HERE, 'templates'), app_conf)


if __name__ == '__main__':
    from examples.configuration import run
    run(make_app)
