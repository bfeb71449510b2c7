"""The pingpong example: "ping" answers one pong, "fireball" ten bang!.

Run: python examples/pingpong/app.py --port 8080
 or: gearbox serve -c examples/pingpong/development.ini
"""
if __name__ == '__main__':
    from gevent import monkey
    monkey.patch_all()

import os  # noqa: E402

import tw2.core as twc  # noqa: E402
from tg import TGController, expose  # noqa: E402

from axf_ractive import RactiveWidget, on_event  # noqa: E402
from tgext.socketio import SocketIOController, SocketIONamespace  # noqa: E402
from tgext.socketio.serving import load_script  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def shared():
    """``examples/configuration.py``, loaded by its location: the examples are not an
    installed package, so this works however the script is started (``python
    examples/pingpong/app.py``, gearbox, gunicorn or an import)."""
    return load_script(os.path.join(os.path.dirname(HERE), 'configuration.py'))


class PingPong(SocketIONamespace):
    def on_ping(self, attack):
        if attack.get('type') == 'fireball':
            for _ in range(10):
                self.emit('pong', {'sound': 'bang!'})
        else:
            self.emit('pong', {'sound': 'pong'})


class SocketIO(SocketIOController):
    pingpong = PingPong


class PingPongWidget(RactiveWidget):
    """Buttons that send ``ping``; every ``pong`` is appended to ``messages``."""

    namespace = '/pingpong'
    resources = RactiveWidget.resources + shared().STYLES
    ractive_params = ['messages']
    messages = twc.Param(default=[])
    bindings = [on_event('pong', append='messages')]
    ractive_template = """
<div class="pingpong card">
  <div class="buttons">
    <button id="ping" on-click="@this.send('ping', {type: 'ping'})">Ping</button>
    <button id="fireball" class="quiet" on-click="@this.send('ping', {type: 'fireball'})"
      >Fireball</button>
  </div>
  <div id="messages">{{#messages:idx}}<span class="sound chip">{{sound}}</span>{{/messages}}</div>
</div>
"""


class RootController(TGController):
    socketio = SocketIO()

    @expose('pingpong.html')
    def index(self):
        return dict(pingpong=PingPongWidget.req(id='pingpong'))


def make_app(global_conf=None, **app_conf):
    """PasteDeploy app factory (also used by ``python app.py``)."""
    return shared().configurator(RootController(), os.path.join(HERE, 'templates'), app_conf)


if __name__ == '__main__':
    shared().run(make_app)
