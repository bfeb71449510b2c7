"""The live console: a page an operator mounts to see and steer the whole cluster.

See :class:`.controller.ConsoleController`. Imported lazily: the servers
record activity (:mod:`.activity`) without loading the page's widgets.
"""
import importlib

__all__ = ['ConsoleController']


def __getattr__(name):
    if name != 'ConsoleController':
        raise AttributeError('module %r has no attribute %r' % (__name__, name))
    return importlib.import_module('.controller', __name__).ConsoleController
