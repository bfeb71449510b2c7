"""Run a Redis write knowing whether Redis got it, and see an unanswered one through.

When Redis dies between running a command and sending its reply, the writer
cannot tell whether the write happened. Raising then would break the promise
that a publish that raised is never delivered: Redis, restarted from its
append-only file, still delivers it. So a write is told apart:

- never sent (Redis refused the connection, was loading, no connection was
  free): :class:`NotSent` at once; nothing happened;
- sent but unanswered: sent again, flagged as a retry, until Redis answers or
  ``patience`` seconds pass (then :class:`Unanswered`). The command must be
  idempotent when flagged: the bus entry carries an id its readers deliver once,
  the history script looks for the publication before appending it.
"""
import time

from redis.exceptions import ResponseError


class NotSent(Exception):
    """Redis could not be reached: the command did not run."""


class Unanswered(Exception):
    """Redis may have run the command; its answer was lost."""


def run_once(pool, *command):
    """Send ``command`` on a connection of ``pool`` and return Redis's raw reply."""
    try:
        connection = pool.get_connection()
    except Exception as exc:
        raise NotSent(exc) from exc
    try:
        connection.send_command(*command)
        return connection.read_response()
    except ResponseError:
        raise
    except Exception as exc:
        connection.disconnect()
        raise Unanswered(exc) from exc
    finally:
        pool.release(connection)


def run_until_answered(pool, command_for, patience, pause=0.1):
    """Redis's reply to ``command_for(retry=False)``, or to ``command_for(retry=True)``
    sent again after the first went unanswered (see the module's docstring)."""
    deadline = None
    while True:
        try:
            return run_once(pool, *command_for(retry=deadline is not None))
        except NotSent:
            if deadline is None:
                raise
            last = Unanswered('Redis did not come back within %s s' % patience)
        except Unanswered as exc:
            last = exc
            deadline = deadline or time.monotonic() + patience
        if time.monotonic() >= deadline:
            raise last
        time.sleep(pause)
