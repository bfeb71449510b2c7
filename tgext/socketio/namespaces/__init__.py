"""The namespace layer: an app's servers and the per-connection objects that answer events.

Owns the one object per app (:mod:`.runtime`), the namespace base class users
write (:mod:`.base`), the bridge from python-socketio to one object per
connection (:mod:`.bridge`) with its ordered :mod:`.mailbox`, the call of a
handler as TurboGears calls an action (:mod:`.dispatch`, :mod:`.tgcontext`,
:mod:`.unit_of_work`), the error events (:mod:`.errors`), and the extension
point through which features hear what happens (:mod:`.hooks`).

May use: the ``edge`` layer, TurboGears.
"""
