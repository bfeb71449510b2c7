"""The HTTP API: what the command line does, as JSON over HTTP, for other services.

A Go or PHP service, a database trigger's webhook, a job on another machine:
publish (the position is returned), read a channel's history, ask who is present,
list the live channels, disconnect a user, through
:class:`~.controller.HTTPAPIController` mounted by the app and authenticated by an
API key or an HMAC signature from the config (see :mod:`.auth`).

May use: edge, namespaces, pubsub, cluster.
"""
from .controller import HTTPAPIController

__all__ = ['HTTPAPIController']
