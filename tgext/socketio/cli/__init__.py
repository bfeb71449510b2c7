"""The command line, ``python -m tgext.socketio`` (:mod:`.main`): ``publish``
(:mod:`.publish`), ``history`` (:mod:`.history`), ``presence``, ``channels`` and
``disconnect`` (:mod:`.questions`), with the options they share (:mod:`.options`).

May use: the ``cluster``, ``pubsub``, ``namespaces`` and ``edge`` layers.
"""
