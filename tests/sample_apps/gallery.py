"""Widgets of every shape on one page, and a namespace that pushes each kind of update.

Run as a server: ``python -m tests.sample_apps.gallery --port N``.
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


class Feed(RactiveWidget):
    """Lines published on the channel ``feed``, recovered after reconnections."""

    namespace = '/board'
    ractive_params = ['lines', 'headline']
    lines = twc.Param(default=[])
    headline = twc.Param(default='')
    subscription = twc.Param(default=('feed',))

    def prepare(self):
        self.bindings = [on_publication(self.subscription, append='lines')]
        super().prepare()

    ractive_template = """
<p class="headline">{{headline}}</p>
<ol class="lines">{{#lines:i}}<li class="line">{{text}}</li>{{/lines}}</ol>
"""


class BoardNamespace(PubSubNamespace):
    def subscribe_board(self):
        return 'board'

    def subscribe_feed(self):
        return 'feed'

    def subscribe_secret(self):
        return False

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

    @expose('gallery.html')
    def feed(self):
        """Two widgets on the channel feed, and one whose subscription is refused."""
        return dict(widgets=[Feed(id='feed'), Feed(id='mirror'),
                             Feed(id='refused', subscription=('secret',))])

    @expose('json')
    def publish_lines(self, start, count, only_feed=None):
        """Publish lines ``start`` .. ``start + count - 1`` to ``feed``; ``only_feed``:
        a line addressed to the widget ``feed`` alone, which ``mirror`` also receives."""
        for number in range(int(start), int(start) + int(count)):
            publish('feed', {'text': 'line %d' % number}, namespace='/board')
        if only_feed:
            publish('feed', update('feed', {'text': only_feed}, append='lines'),
                    namespace='/board')
        return dict(published=int(count))

    @expose('json')
    def announce(self, text):
        publish('board', update('board', text, set='headline'), namespace='/board')
        publish('board', {'id': 9, 'name': 'from controller'}, namespace='/board')
        return dict(published='board')


def make_app(global_conf=None, **app_conf):
    from examples.configuration import configurator
    if os.environ.get('GALLERY_MAX_ANSWER_BYTES'):  # answers capped small: recovery pages
        app_conf['socketio.max_answer_bytes'] = int(os.environ['GALLERY_MAX_ANSWER_BYTES'])
    return configurator(RootController(), os.path.join(HERE, 'templates'), app_conf)


if __name__ == '__main__':
    from examples.configuration import run
    run(make_app)
