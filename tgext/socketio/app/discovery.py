"""Finding the SocketIOControllers mounted in a controller tree, with their paths."""
import inspect

from tg.controllers import TGController

from .controller import SocketIOController


def _children(controller):
    """``(name, TGController)`` attributes of a controller instance or class."""
    klass = controller if inspect.isclass(controller) else type(controller)
    names = {name for base in klass.__mro__ for name in vars(base)}
    if not inspect.isclass(controller):
        names |= set(vars(controller))
    for name in sorted(names):
        if not name.startswith('_'):
            value = inspect.getattr_static(controller, name, None)
            if isinstance(value, TGController):
                yield name, value


def mounted_controllers(root, depth=6):
    """``(path, controller)`` of each SocketIOController reachable from ``root``.

    ``root`` is the root controller, or its class (TurboGears instantiates
    the class itself when the configurator names none; controllers mounted as
    class attributes are the same objects either way). Controllers reached
    only through ``_lookup``/``_default`` are not found here: they get their
    server at their first handshake.
    """
    found, seen, level = [], set(), [('', root)]
    for _ in range(depth):
        below = []
        for path, controller in level:
            if id(controller) in seen:
                continue
            seen.add(id(controller))
            if isinstance(controller, SocketIOController):
                found.append((path, controller))
            below.extend((path + '/' + name, child) for name, child in _children(controller))
        level = below
    return found
