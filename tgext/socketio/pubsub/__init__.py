"""Pub/sub: channels clients subscribe to, and publications that reach them in every process.

Owns :class:`~.channels.PubSubNamespace` (subscribe, recover, history; answers capped
in bytes by :mod:`.answers`),
``publish()``/``history()`` (:mod:`.publishing`), the backends that carry
publications between processes (:mod:`.backends`), the stores that give them
positions and keep their history (:mod:`.stores`), tgext.socketio's own
messages on the same bus (:mod:`.bus`), asking the cluster from any process
(:mod:`.ask`), presence, who is subscribed to a channel (:mod:`.presence`), and telling
the hooks when publications reach a server's clients (:mod:`.delivery_hook`).

May use: the ``namespaces`` and ``edge`` layers.
"""
