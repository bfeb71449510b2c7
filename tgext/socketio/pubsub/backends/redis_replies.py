"""One Redis command, telling a command Redis never got from one whose answer was lost
(see :mod:`.unanswered`)."""
from redis.exceptions import ResponseError

from .unanswered import NotSent, Unanswered


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
