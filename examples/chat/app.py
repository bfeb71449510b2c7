"""The chat example: rooms, a user id per browser, messages fanned out to a room.

The rooms are presence channels: the page shows who is in the room.

Run: python examples/chat/app.py --port 8080 [--backend redis://127.0.0.1:6379/0]
 or: gearbox serve -c examples/chat/development.ini
"""
if __name__ == '__main__':
    from gevent import monkey
    monkey.patch_all()

import os  # noqa: E402
import re  # noqa: E402
import uuid  # noqa: E402

import tw2.core as twc  # noqa: E402
from tg import TGController, expose, request, response  # noqa: E402
from tg.predicates import Predicate  # noqa: E402
from tg.support.converters import asint  # noqa: E402

from axf_ractive import RactiveWidget, on_presence, on_publication  # noqa: E402

from tgext.socketio import PubSubNamespace, SocketIOController, SocketIOError  # noqa: E402
from tgext.socketio import publish as publish_to_channel  # noqa: E402
from tgext.socketio.console import ConsoleController  # noqa: E402
from tgext.socketio.serving import load_script  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOMS = ('1', '2', '3')
UID_COOKIE = 'chat_uid'
ADJECTIVES = ('Amber', 'Brave', 'Calm', 'Dapper', 'Eager', 'Fuzzy', 'Gentle', 'Happy',
              'Jolly', 'Kind', 'Lucky', 'Mellow', 'Nimble', 'Quiet', 'Swift', 'Witty')
ANIMALS = ('Badger', 'Crane', 'Dolphin', 'Falcon', 'Gecko', 'Heron', 'Koala', 'Lynx',
           'Marmot', 'Otter', 'Panda', 'Puffin', 'Raven', 'Seal', 'Tiger', 'Wombat')


def browser_uid(cookies):
    """The user id the page's cookie names (8 hex digits), or None.

    Anonymous, not authentication: it only makes the tabs of one browser one
    member of a room; anyone can pick any id.
    """
    uid = cookies.get(UID_COOKIE) or ''
    return uid if re.fullmatch('[0-9a-f]{8}', uid) else None


def member(uid):
    """The public face of a browser's id: a name one can read, its initials and a hue."""
    name = '%s %s' % (ADJECTIVES[int(uid[0:2], 16) % 16], ANIMALS[int(uid[2:4], 16) % 16])
    return {'id': uid, 'name': name, 'initials': name[0] + name.split()[1][0],
            'hue': int(uid[4:6], 16) * 360 // 256}


def shared():
    """``examples/configuration.py``, loaded by its location: the examples are not an
    installed package, so this works however the script is started (``python
    examples/chat/app.py``, gearbox, gunicorn or an import)."""
    return load_script(os.path.join(os.path.dirname(HERE), 'configuration.py'))


class Chat(PubSubNamespace):
    presence_channels = ['room-*']  # subscribers see who is in the room

    def on_connect(self):
        # the browser's id (its cookie, set by the page); a client without one gets its own
        self.session['uid'] = browser_uid(self.request.cookies) or uuid.uuid4().hex[:8]

    def presence_info(self):
        return member(self.session['uid'])

    def subscribe_room(self, room_id):
        if str(room_id) not in ROOMS:
            return False
        self.session['room'] = 'room-%s' % room_id
        self.emit('userid', self.session['uid'])  # the page knows it; other clients learn it
        return self.session['room']

    def on_user_message(self, text):
        room = self.session.get('room')
        if room not in self.channels:
            raise SocketIOError('join a room first', name='no_room')
        me = member(self.session['uid'])
        self.publish(room, {'uid': me['id'], 'name': me['name'], 'message': str(text)[:500]})


class SocketIO(SocketIOController):
    chat = Chat


class ChatWidget(RactiveWidget):
    """One room of the chat: who is here, the room's messages, and a form to write one."""

    namespace = '/chat'
    resources = RactiveWidget.resources + shared().STYLES
    ractive_params = ['me', 'members', 'lines', 'text']
    room = twc.Param('the room to subscribe to', default='1')
    me = twc.Param('this browser as a member: member(uid)', default={})
    members = twc.Param(default=[])
    lines = twc.Param(default=[])
    text = twc.Param(default='')
    ractive_template = """
<div class="chat card">
  <aside class="here">
    <h2>Here now</h2>
    <ul id="members">{{#members}}<li class="member" data-id="{{id}}"
      ><span class="avatar" style="background: hsl({{hue}}, 55%, 46%)">{{initials}}</span
      ><span class="name">{{name}}</span></li>{{/members}}</ul>
    <p class="you">You are <strong id="uid" data-uid="{{me.id}}">{{me.name}}</strong></p>
  </aside>
  <section class="talk">
    <div id="lines">{{#lines}}<div class="line" data-uid="{{uid}}"><span class="who">{{name}}</span
      ><span class="text">{{message}}</span></div>{{/lines}}</div>
    <form id="send" on-submit="@this.send('user_message', text), @this.set('text', ''), false">
      <input id="text" autocomplete="off" placeholder="Write a message" value="{{text}}"/>
      <button type="submit">Send</button>
    </form>
  </section>
</div>
"""

    def prepare(self):
        self.bindings = [on_publication(('room', self.room), append='lines'),
                         on_presence(('room', self.room), 'members')]
        super().prepare()


class FromThisMachine(Predicate):
    """The demo has no logins: its console answers only to browsers on the same machine."""

    message = 'the console answers only on the loopback interface'

    def evaluate(self, environ, credentials):
        if environ.get('REMOTE_ADDR') not in ('127.0.0.1', '::1'):
            self.unmet()


class RootController(TGController):
    socketio = SocketIO()
    console = ConsoleController(FromThisMachine())   # the live console, at /console/

    @expose('chat.html')
    def index(self, room='1'):
        room = room if room in ROOMS else '1'
        uid = browser_uid(request.cookies)
        if not uid:  # one id per browser: its tabs are one member
            uid = uuid.uuid4().hex[:8]
            response.set_cookie(UID_COOKIE, uid, path='/', httponly=True, samesite='Lax')
        return dict(room=room, rooms=ROOMS,
                    chat=ChatWidget.req(id='chat', room=room, me=member(uid)))

    @expose('json')
    def announce(self, room='1', message=''):
        """Publish from an ordinary controller action: every open page shows it."""
        channel = 'room-%s' % asint(room)
        publish_to_channel(channel, {'uid': 'server', 'name': 'server', 'message': message},
                           namespace='/chat')
        return dict(published=channel)


def make_app(global_conf=None, **app_conf):
    """PasteDeploy app factory (also used by ``python app.py``)."""
    return shared().configurator(RootController(), os.path.join(HERE, 'templates'), app_conf)


if __name__ == '__main__':
    shared().run(make_app)
