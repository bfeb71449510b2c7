"""The command line, ``python -m tgext.socketio``: publish, history, presence, channels,
disconnect (:mod:`.main`), with the options they share (:mod:`.options`).

May use: the ``cluster``, ``pubsub``, ``namespaces`` and ``edge`` layers.
"""
