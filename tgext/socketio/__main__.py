"""``python -m tgext.socketio``: the command line (see :mod:`.cli.main`)."""
import sys

from .cli.main import main

if __name__ == '__main__':
    sys.exit(main())
