"""Features of the cluster: what the servers tell and answer about themselves.

Owns the health probe (:mod:`.health`), the metrics page (:mod:`.metrics`),
the operators' questions and their answers (:mod:`.operations`) and the
console's live log (:mod:`.activity`). Each plugs into a server through its
hooks and its bus (``attach(server, bus, hooks)``), listed by
:mod:`tgext.socketio.app.features`.

May use: the ``pubsub``, ``namespaces`` and ``edge`` layers.
"""
