"""A script committing @live rows through the outbox, as a worker would, with the test's
ways of dying: ``python -m tests.live.outbox_writer DB_URL BACKEND LIST_ID TEXT [--rollback
TEXT] [--die after_commit|after_publish]``.

``--die after_commit``: SIGKILL from an ``after_commit`` listener put before the live
layer's, so the row and its outbox row are committed and nothing is published.
``--die after_publish``: SIGKILL once published, before the outbox row is deleted.
These hooks are this script's; the library has none.
"""
import argparse
import os
import signal

from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.sample_apps.outbox_todos import Base, Todo, engine_for
from tgext.socketio.live import configure, outbox


def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def main():
    parser = argparse.ArgumentParser()
    for name in ('database', 'backend', 'list_id', 'text'):
        parser.add_argument(name)
    parser.add_argument('--rollback')
    parser.add_argument('--die', choices=('after_commit', 'after_publish'))
    args = parser.parse_args()
    engine = engine_for(args.database)
    Base.metadata.create_all(engine)
    configure(backend=args.backend, outbox=True)
    if args.rollback:
        with Session(engine) as session:
            session.add(Todo(text=args.rollback, list_id=int(args.list_id)))
            session.flush()
            session.rollback()
    if args.die == 'after_commit':
        event.listen(Session, 'after_commit', die, insert=True)
    elif args.die == 'after_publish':
        outbox.delete = die
    with Session(engine) as session:
        session.add(Todo(text=args.text, list_id=int(args.list_id)))
        session.commit()
    print('committed', flush=True)


if __name__ == '__main__':
    main()
