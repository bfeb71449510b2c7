"""The live console: a page an operator mounts to see and steer the whole cluster.

Owns the page (:class:`.controller.ConsoleController`), its widgets
(:mod:`.widgets`), its Socket.IO namespace (:mod:`.namespace`) and the summary
of the servers' answers it shows (:mod:`.overview`). What it shows comes from
every server's live log (:mod:`tgext.socketio.cluster.activity`).

May use: the ``app``, ``cluster``, ``pubsub``, ``namespaces`` and ``edge`` layers,
and ``axf_ractive``.
"""
from .controller import ConsoleController

__all__ = ['ConsoleController']
