"""Calling one handler method the way TurboGears calls an action.

``@require`` predicates and the namespace's ``allow_only`` are checked,
``@validate`` validators are applied to the event's arguments (bound to the
handler's parameter names), and every failure becomes a
:class:`~tgext.socketio.namespaces.errors.SocketIOError` the caller reports to the client.
"""
import functools
import inspect
import logging

from tg import config as tg_config
from tg.decorators import Decoration
from tg.predicates import NotAuthorizedError

from .errors import InternalError, InvalidMethodArgs, MethodAccessDenied, SocketIOError

log = logging.getLogger(__name__)


def check_predicate(predicate, environ):
    """Raise :class:`MethodAccessDenied` unless ``predicate`` is met."""
    if predicate is None:
        return
    try:
        predicate.check_authorization(environ)
    except NotAuthorizedError as exc:
        raise MethodAccessDenied(str(exc) or 'Access denied') from None


@functools.lru_cache(maxsize=None)
def _signature(function):
    return inspect.signature(function)


@functools.lru_cache(maxsize=None)
def _plain_arity(function):
    """``(fewest, most)`` positional arguments after ``self``, or None if not that simple."""
    parameters = list(_signature(function).parameters.values())[1:]
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters):
        return None
    required = sum(1 for p in parameters if p.default is p.empty)
    return required, len(parameters)


_UNDECORATED = Decoration(None)  # no requirements, no validations


def _decoration(method):
    return getattr(getattr(method, '__func__', method), 'decoration', _UNDECORATED)


def _validated(method, decoration, args):
    """Bind ``args`` to the handler's parameters and run its validations."""
    arity = _plain_arity(method.__func__)
    if not decoration.validations and arity and arity[0] <= len(args) <= arity[1]:
        return args, {}  # the common case, without Signature.bind
    try:
        bound = _signature(method.__func__).bind(None, *args)
    except TypeError as exc:
        raise InvalidMethodArgs(str(exc)) from None
    if not decoration.validations:
        return bound.args[1:], bound.kwargs
    params = dict(bound.arguments)
    params.pop(next(iter(params)))  # self
    exceptions = tuple(tg_config['validation.exceptions'])
    for intent in decoration.validations:
        try:
            params = intent.check(tg_config, method, params)
        except exceptions as exc:
            raise InvalidMethodArgs(str(exc), errors=_field_errors(exc)) from None
    return (), params


def _field_errors(exc):
    """``{field: message}`` of a validation error (``''``: the whole input)."""
    errors = getattr(exc, 'error_dict', None)
    if not errors:
        for exception_class, explode in tg_config.get('validation.explode', {}).items():
            if isinstance(exc, exception_class):
                errors = explode(exc)['errors']
                break
    if isinstance(errors, dict) and errors:
        return {field: str(error) for field, error in errors.items()}
    return {'': str(exc)}


def call(method, args, environ):
    """Call a bound handler ``method`` with the client's ``args``.

    Returns the handler's result. Raises :class:`SocketIOError` for access
    denied, invalid arguments, or (wrapping and logging it) any other error.
    """
    decoration = _decoration(method)
    for requirement in decoration.requirements:
        check_predicate(requirement.predicate, environ)
    positional, keywords = _validated(method, decoration, args)
    try:
        return method(*positional, **keywords)
    except SocketIOError:
        raise
    except Exception as exc:
        log.exception('Error in Socket.IO handler %s', method.__qualname__)
        raise InternalError('Internal server error') from exc
