"""The wire edge: what stands between HTTP and python-socketio.

Owns the outermost WSGI layer and the hand-off of a handshake from TurboGears
to python-socketio (:mod:`.middleware`), the changes made to python-socketio and
python-engineio (:mod:`.overrides`) and to gevent's WSGI server and
gevent-websocket (:mod:`.websocket`), the WebSocket write path (:mod:`.fastlane`), the origin check (:mod:`.origins`), the
client address through trusted proxies (:mod:`.addresses`), what binds a session to
its handshake (:mod:`.binding`), the bytes waiting for a client (:mod:`.outbound`),
the log of refused input (:mod:`.refusals`), the
front-end files (:mod:`.assets`) and the gevent check (:mod:`.gevent_check`).

May use: python-socketio, python-engineio, gevent and gevent-websocket, not
TurboGears at import time (``serving`` imports this layer before gevent
patches the process), nor any other layer of tgext.socketio.
"""
