"""What live models cost, measured by a writer process against the benchmarked app.

python -m bench.live MODE SERVER_URL BACKEND [--commits N] [--rows N]

``latency`` modes (``live``, ``publish``): ``--commits`` commits of one row each while a
Socket.IO client subscribed to the chat's ``room-1`` on SERVER_URL waits for it: the time
from just before the commit to the subscriber's receipt, p50 and p99. ``live``: the row's
model is ``@live`` on ``room-1``; ``publish``: a plain model, and a hand-written
``publish()`` of the same delta after the commit (the baseline).
``bulk`` modes (``bulk-live``, ``bulk-plain``): one commit of ``--rows`` rows of the model with
and without ``@live``: rows committed per second (the live one includes its publication).
Prints one JSON line. SQLite in a temporary file; the writer is this process.
"""
import argparse
import json
import os
import statistics
import tempfile
import threading
import time

import socketio
import sqlalchemy as sa
from sqlalchemy.orm import Session, declarative_base

from tgext.socketio import publish
from tgext.socketio.live import configure, deltas, live

CHANNEL, NAMESPACE = 'room-1', '/chat'
#: Latency histogram edges (ms), as bench/loadgen.js has them.
EDGES = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]


def model(is_live):
    base = declarative_base()

    class Item(base):
        __tablename__ = 'items'
        id = sa.Column(sa.Integer, primary_key=True)
        text = sa.Column(sa.String(100), nullable=False)
        price = sa.Column(sa.Integer, nullable=False)
    if is_live:
        live(channel=CHANNEL, fields=('id', 'text', 'price'), namespace=NAMESPACE)(Item)
    return base, Item


def engine_with(base):
    engine = sa.create_engine('sqlite:///%s' % os.path.join(tempfile.mkdtemp(), 'bench.db'))
    base.metadata.create_all(engine)
    return engine


def latency(mode, server, backend, commits):
    base, item = model(mode == 'live')
    engine = engine_with(base)
    arrived, waiting = {}, {}

    def received(data, channel, position):
        for entry in data.get('live') or ():
            for row in entry.get('upsert') or ():
                if row['text'] in waiting:
                    arrived[row['text']] = time.perf_counter()
                    waiting[row['text']].set()

    sio = socketio.Client(reconnection=False)
    sio.on('publication', received, namespace=NAMESPACE)
    sio.connect(server, namespaces=[NAMESPACE], socketio_path='socketio',
                transports=['websocket'], wait_timeout=10)
    try:
        assert sio.call('subscribe', ('room', '1'), namespace=NAMESPACE, timeout=10) == CHANNEL
        times = []
        for number in range(commits + 5):  # the first 5 warm up
            text = 'item %d' % number
            waiting[text] = threading.Event()
            start = time.perf_counter()
            with Session(engine) as session:
                row = item(text=text, price=number)
                session.add(row)
                session.commit()
                if mode == 'publish':
                    publish(CHANNEL, deltas.publication([deltas.delta(
                        'Item', 'id', [{'id': row.id, 'text': text, 'price': number}], [])]),
                        namespace=NAMESPACE, backend=backend)
            if not waiting[text].wait(10):
                raise RuntimeError('%s never arrived' % text)
            if number >= 5:
                times.append((arrived[text] - start) * 1000)
    finally:
        sio.disconnect()
    times.sort()
    return {'commits': commits, 'commit_p50_ms': statistics.median(times),
            'p50_ms': statistics.median(times),
            'p99_ms': times[min(len(times) - 1, int(len(times) * 0.99))],
            'histogram': [[edge, sum(1 for value in times if value <= edge) / len(times)]
                          for edge in EDGES]}


def bulk(mode, rows):
    base, item = model(mode == 'bulk-live')
    engine = engine_with(base)
    with Session(engine) as session:  # warm up: the first commit builds what is lazily built
        session.add(item(text='warm', price=0))
        session.commit()
    start = time.perf_counter()
    with Session(engine) as session:
        session.add_all([item(text='item %d' % number, price=number) for number in range(rows)])
        session.commit()
    seconds = time.perf_counter() - start
    return {'rows': rows, 'rows_per_s': rows / seconds, 'commit_s': seconds}


def main():
    parser = argparse.ArgumentParser(prog='python -m bench.live')
    parser.add_argument('mode', choices=('live', 'publish', 'bulk-live', 'bulk-plain'))
    parser.add_argument('server')
    parser.add_argument('backend')
    parser.add_argument('--commits', type=int, default=200)
    parser.add_argument('--rows', type=int, default=10000)
    args = parser.parse_args()
    configure(backend=args.backend)
    if args.mode.startswith('bulk'):
        result = bulk(args.mode, args.rows)
    else:
        result = latency(args.mode, args.server, args.backend, args.commits)
    print(json.dumps(result), flush=True)


if __name__ == '__main__':
    main()
