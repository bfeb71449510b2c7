"""PubSubNamespace: clients subscribe to channels that anyone can publish to."""
from ..namespaces import dispatch, hooks
from ..namespaces.base import SocketIONamespace, userid_of
from ..namespaces.errors import (InvalidMethodArgs, MethodAccessDenied, SocketIOError,
                                 SubscriptionRejected, shown)
from . import answers, publishing, tokens
from .presence import PresenceMixin


class PubSubNamespace(PresenceMixin, SocketIONamespace):
    """A namespace whose clients subscribe to channels.

    The client emits ``('subscribe', name, *args)``; the server calls
    ``subscribe_<name>(*args)`` (with ``@require``/``@validate`` applied),
    which returns the channel to join, ``None`` for ``name`` itself, or
    ``False`` to refuse. A refusal (``False``, a denied predicate, invalid
    arguments, an error) sends a ``subscription_rejected`` error and joins
    nothing. The acknowledgement is the channel. ``('unsubscribe', channel)``
    leaves it. Every subscriber receives ``publication(data, channel, position)``.
    ``('subscribe', {"token": t})`` subscribes to the channel of a token issued
    by the app's controller (:mod:`tgext.socketio.pubsub.tokens`) instead.
    Subscribing to a channel the connection already has changes nothing. The
    server's hooks hear each step (``subscribing``, whose listeners may refuse like
    the subscribe method; ``channel_joined``; ``channel_left``): presence listens
    there.

    ``('recover', since, name, *args)`` subscribes like ``subscribe`` and
    acknowledges with what the client missed since ``since`` (its last
    position, or ``{"time": t}``): ``{"channel", "recovered", "publications":
    [[data, position], ...], "position"}``. ``('history', channel, options)``
    answers a subscriber with the channel's kept publications. Both answers are capped in
    bytes, and say ``"more": true`` when they left some out (:mod:`.answers`).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channels = set()

    def on_subscribe(self, name, *args):
        return self._join(self.authorize(name, *args))

    def authorize(self, name, *args):
        """The channel that ``('subscribe', name, *args)`` asks for, as the subscribe
        method (or the token) decides; raises :class:`SubscriptionRejected` if refused.
        Nothing is joined: Server-Sent Events streams use it too."""
        if isinstance(name, dict) and 'token' in name and not args:
            return tokens.verify(tokens.secret_of(self.server.runtime.conf), name['token'],
                                 self.namespace, userid_of(self))
        method = None
        if isinstance(name, str) and name.isidentifier():
            method = getattr(self, 'subscribe_' + name, None)
        if not callable(method):
            raise SubscriptionRejected('no subscription named %r' % shown(name))
        try:
            channel = dispatch.call(method, args, self.request.environ)
        except SocketIOError as error:
            raise SubscriptionRejected(error.message, reason=error.name, **error.details) from None
        if channel is False:
            raise SubscriptionRejected('subscription to %r refused' % shown(name))
        return name if channel is None else channel

    def _join(self, channel):
        """Join ``channel`` (authorized), unless a feature's ``subscribing`` hook refuses."""
        if channel in self.channels:
            return channel
        server_hooks = hooks.of(self.server)
        try:
            server_hooks.call('subscribing', self, channel)
        except SocketIOError as error:  # a feature refused it: nothing joined
            raise SubscriptionRejected(error.message, reason=error.name,
                                       **dict(error.details, channel=channel)) from None
        self.join(publishing.room(channel))
        self.channels.add(channel)
        server_hooks.call('channel_joined', self, channel)
        return channel

    def on_unsubscribe(self, channel):
        if not isinstance(channel, str):  # a list is unhashable: no traceback for it
            raise InvalidMethodArgs('a channel is a string')
        if channel in self.channels:
            self.leave(publishing.room(channel))
            self.channels.discard(channel)
            hooks.of(self.server).call('channel_left', self, channel)
        return channel

    def on_recover(self, since, name, *args):
        if not isinstance(since, dict):
            raise InvalidMethodArgs('since is a position {"epoch", "offset"} or {"time": t}')
        channel = self.on_subscribe(name, *args)  # live publications flow from here on
        target = self._publishing_target()
        publications, recovered = _read(target, channel, since)
        publications, answer = self._capped(publications, channel, recovered)
        answer['position'] = publications[-1][1] if publications else target.history.top(channel)
        return answer

    def on_history(self, channel, options=None):
        if not isinstance(channel, str) or not isinstance(options or {}, dict):
            raise InvalidMethodArgs('history takes a channel and {"limit", "since"}')
        if channel not in self.channels:
            raise MethodAccessDenied('subscribe to %r to read its history' % shown(channel))
        options = options or {}
        publications, recovered = _read(self._publishing_target(), channel,
                                        options.get('since'), options.get('limit'))
        return self._capped(publications, channel, recovered)[1]

    def _capped(self, publications, channel, recovered):
        """The publications an answer carries (:mod:`.answers`) and the answer, which says
        ``"more": true`` if some were left out."""
        publications, more = answers.capped(
            publications, self.server.runtime.conf['socketio.max_answer_bytes'])
        answer = {'channel': channel, 'recovered': recovered,
                  'publications': [[data, position] for data, position in publications]}
        if more:
            answer['more'] = True
        return publications, answer

    def publish(self, channel, data, immediate=False):
        """Deliver ``data`` to every subscriber of ``channel`` in this namespace.

        As :func:`~tgext.socketio.publish`: inside the handler's transaction it
        is sent when that commits (a :class:`~tgext.socketio.PendingPublication`
        is returned), never if it aborts; ``immediate=True`` sends at once.
        """
        return publishing.publish_to(self._publishing_target(), channel, data, self.namespace,
                                     immediate=immediate)

    def _publishing_target(self):
        return publishing.target_of(self.server)


def _read(target, channel, since, limit=None):
    """The history after ``since``; a malformed position or limit is the client's error."""
    if limit is not None and not isinstance(limit, int):
        raise InvalidMethodArgs('limit is a number')
    try:
        return publishing.history_through(target, channel, since, limit)
    except (TypeError, ValueError, AttributeError) as exc:
        raise InvalidMethodArgs(str(exc)) from None


PubSubTGNamespace = PubSubNamespace
