"""RactiveWidget: a ToscaWidgets2 widget rendered and redrawn by Ractive.js."""
import time

import markupsafe
import tw2.core as twc
from tg import config as tg_config
from tg.support.converters import asbool

from tgext.socketio.namespaces.runtime import DEFAULT_PATH, current as current_runtime

from . import render, resources
from .serialise import script_json


class RactiveWidget(twc.Widget):
    """A widget whose Mustache ``ractive_template`` Ractive.js keeps up to date.

    Class attributes:

    ``ractive_params``
        Names of widget params handed to Ractive as its data.
    ``ractive_template``
        The Ractive (Mustache) template; any number of root nodes.
    ``bindings``
        :func:`on_event` / :func:`on_publication` declarations: pushed data
        that changes the widget's data, with no JavaScript to write.
    ``namespace``
        The Socket.IO namespace of bindings that name none, and of
        ``@this.send(event, ...)`` calls in the template.
    ``ractive_init``
        Optional JavaScript run once with ``ractive`` (the instance) bound.

    The HTML is rendered on the server first, so the content shows without
    JavaScript; Ractive then takes that DOM over. In the browser the
    instance is ``document.RAWidgets[id]``.
    """

    template = None  # rendered by generate_output, not by a tw2 template
    ractive_params = []
    ractive_template = ''
    ractive_init = None
    bindings = twc.Param('pushed data that changes the widget data', default=[])
    namespace = twc.Param('Socket.IO namespace for bindings and send()', default=None)
    socket_path = twc.Param('the path of the Socket.IO endpoint (default: where the '
                            'SocketIOController serving the namespace is mounted)', default=None)
    nested = twc.Param('RactiveWidgets shown inside this one, after its own view', default=[])
    socket_options = twc.Param('options of the socket.io-client connection of this widget '
                               "({'transports': ['websocket'], 'auth': {...}}); widgets with "
                               'other options get another socket', default=None)
    refresh_url = twc.Param('where an on_rows binding reads its rows again: a page showing '
                            'this widget with the same id (default: the current page)',
                            default=None)
    events_url = twc.Param('the URL of an EventStreamController of the namespace: the '
                           'widget only listens, over Server-Sent Events, and the page needs '
                           'no Socket.IO client (publication and on_rows bindings only)',
                           default=None)
    resources = [resources.ractive_js, resources.client_js]

    def prepare(self):
        super().prepare()
        if self.events_url:
            self._check_only_listens()
        elif self.bindings or '.send(' in self.ractive_template:
            self.safe_modify('resources')
            self.resources.insert(1, resources.socketio_js)

    def _check_only_listens(self):
        if '.send(' in self.ractive_template:
            raise TypeError('%s has events_url: over Server-Sent Events a widget only listens '
                            '(its template sends with @this.send)' % type(self).__name__)
        for binding in self.bindings:
            if binding.get('event') != 'publication' and binding.get('op') != 'rows':
                raise TypeError('%s has events_url: only on_publication and on_rows bindings '
                                'work over Server-Sent Events, not %r'
                                % (type(self).__name__, binding.get('event')))

    def ractive_data(self):
        """The data Ractive starts with: the ``ractive_params`` values."""
        return {name: getattr(self, name) for name in self.ractive_params}

    def ractive_config(self, data):
        """What the client module needs to start this widget with ``data``."""
        runtime = current_runtime()
        path = self.socket_path or (runtime.path_of(self.namespace) if runtime else DEFAULT_PATH)
        return {
            'id': self.id, 'el': self._view_id(), 'template': self.ractive_template,
            'data': data,
            'bindings': [self._binding_config(binding, data) for binding in self.bindings],
            'namespace': self.namespace, 'path': path, 'init': self.ractive_init,
            'publication_event': runtime.publication_event if runtime else 'publication',
            'error_event': runtime.error_event if runtime else 'error',
            'rendered': time.time(),  # bindings recover what is published from now on
            'debug': asbool(tg_config.get('socketio.ractive_debug', False)),  # Ractive.DEBUG
            'socket_options': self.socket_options or None,
            'refresh_url': self.refresh_url,
            'events_url': self.events_url,
        }

    def _binding_config(self, binding, data):
        """A binding as the client module reads it; an ``on_rows`` one with what its rows
        (a :class:`~tgext.socketio.live.LiveRows`) say of their channel."""
        if binding.get('op') != 'rows':
            return dict(binding, namespace=binding.get('namespace') or self.namespace)
        rows = _at(data, binding['keypath'])
        live = {name: getattr(rows, name, None)
                for name in ('channel', 'namespace', 'model', 'key', 'position', 'token')}
        if not binding.get('subscribe') and not live['token']:
            raise TypeError('on_rows(%r): no subscription token came with the rows (is the '
                            'param a LiveRows? does the app have a socketio.token_secret?) and '
                            'no subscribe= says what to subscribe to' % binding['keypath'])
        return dict(binding, channel=live['channel'], key=live['key'] or 'id',
                    model=binding.get('model') or live['model'],
                    position=live['position'], token=live['token'],
                    namespace=binding.get('namespace') or live['namespace'] or self.namespace)

    def _view_id(self):
        """The element Ractive owns: the widget's own, or a view beside nested widgets."""
        return self.id + ':view' if self.nested else self.id

    def generate_output(self, displays_on):
        data = self.ractive_data()
        view = markupsafe.Markup(render.render(self.ractive_template, data))
        if self.nested:
            view = markupsafe.Markup('<div id="{view_id}">{view}</div>{nested}').format(
                view_id=self._view_id(), view=view,
                nested=markupsafe.Markup('').join(child.display() for child in self.nested))
        return markupsafe.Markup(
            '<div id="{id}" class="axf-ractive">{view}</div>'
            '<script type="application/json" data-axf-ractive="{id}">{config}</script>'
        ).format(id=self.id, view=view,
                 config=markupsafe.Markup(script_json(self.ractive_config(data))))


def _at(data, keypath):
    """The value at a Ractive keypath (``'todos'``, ``'list.rows'``) of ``data``."""
    value = data
    for part in keypath.split('.'):
        value = value.get(part) if isinstance(value, dict) else None
    return value
