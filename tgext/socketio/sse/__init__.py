"""Server-Sent Events: channels of a namespace streamed as ``text/event-stream``.

For clients that only listen and speak no Socket.IO: ``EventSource``, ``curl -N``,
a webview. :class:`~.controller.EventStreamController` is mounted by the app;
subscriptions go through the namespace's own subscribe hooks (or a subscription
token), and ``Last-Event-ID`` resumes from the history with the same
``recovered`` semantics as Socket.IO's ``recover``.

May use: edge, namespaces, pubsub.
"""
from .controller import EventStreamController

__all__ = ['EventStreamController']
