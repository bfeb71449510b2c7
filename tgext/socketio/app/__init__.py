"""The TurboGears side: plugging tgext.socketio into an app and mounting endpoints.

Owns the configuration component (:mod:`.component`, ``plugme``) and its
``socketio.*`` settings (:mod:`.settings`), the controller an app mounts
(:mod:`.controller`) and finding where it is mounted (:mod:`.discovery`), the
building of each endpoint's server (:mod:`.endpoint`) and the features every
server gets (:mod:`.features`).

May use: the ``cluster``, ``pubsub``, ``namespaces`` and ``edge`` layers.
"""
