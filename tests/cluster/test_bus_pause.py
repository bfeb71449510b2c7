"""Issue #18: ``CLIENT PAUSE 30000`` on the Redis of 2 processes while 200 clients chat.

200 official clients (100 per process, WebSocket) subscribe to one shared channel and each
posts every 10 s (the '/chat' namespace's ``post``: it publishes, and its acknowledgement is
``True``, or an ``internal_error`` ack and ``error`` event when the publish raised).
Redis is then paused for 30 s in ALL mode (reads and writes). ALL mode holds ``CLIENT UNPAUSE``
too (Redis 7 postpones every command of a paused client, that one included), so the pause
cannot be ended early: it runs its 30 s. Meanwhile and after:

- every post sent during the pause is answered, never a hang. A publication a process has
  already handed to Redis waits for its answer as documented (a 5 s socket timeout, then
  retries for ``unanswered_patience``, 10 s, the last of which may wait 5 s more: under 25 s
  with a margin): one at a time per process. The others are refused within a few seconds
  instead of queueing behind it (``_Target.stall_after``, 3 s), and answers keep coming from
  both processes all along; each refusal also arrives as an ``error`` event;
- ``/health`` of both processes answers 503 during the pause, and 200 again after it;
- the RSS of each process grows by less than 50 MB;
- after it, every post acknowledged as accepted is delivered exactly once to each of the 200
  subscribers, in both processes, and none twice; all clients stay connected, and posts are
  accepted again.
"""
import collections
import concurrent.futures
import threading
import time

import pytest
import redis
import requests

from tests import servers
from tests.helpers import client, rss_kb, start_app

TIMINGS = {'HEALTH_INTERVAL': '1', 'HEALTH_STALE_AFTER': '3'}
CLIENTS = 200                 # split over the 2 processes
POST_EVERY = 10.0             # seconds between two posts of a client: 20 posts/s in all
PAUSE_MS = 30000
WARM_UP = 4.0                 # seconds of chat before the pause
AFTER = 6.0                   # seconds of chat after it
FEW_SECONDS = 6.0             # a post refused: stall detection (3 s) + load margin
UNANSWERED_BOUND = 25.0       # a post handed to a paused Redis: 5 + 10 + 5 s + margin
MAX_SLOW_PER_PROCESS = 10     # posts allowed to take that long: one at a time per process
MAX_GROWTH_KB = 50 * 1024


class Post:
    __slots__ = ('text', 'process', 'sent', 'answered', 'answer')

    def __init__(self, text, process):
        self.text, self.process = text, process
        self.sent, self.answered, self.answer = time.monotonic(), None, None

    @property
    def accepted(self):
        return self.answer == (True,)

    @property
    def refused(self):
        return (len(self.answer or ()) == 1 and isinstance(self.answer[0], dict)
                and 'error' in self.answer[0])

    @property
    def latency(self):
        return None if self.answered is None else self.answered - self.sent


class Chat:
    """The clients, and a thread that makes them post in turn."""

    def __init__(self, apps):
        self.apps = apps
        self.clients = []         # (sio, recorder, process index)
        self.posts = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = None

    def connect(self):
        def one(number):
            process = number % len(self.apps)
            sio, recorder = client(self.apps[process].url, '/chat')
            assert sio.call('subscribe', 'plain', namespace='/chat', timeout=20) == 'plain'
            return sio, recorder, process
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(one, number) for number in range(CLIENTS)]
        # every connected one is kept (the fixture disconnects them), then the first failure
        self.clients = [future.result() for future in futures if future.exception() is None]
        for future in futures:
            future.result()

    def post(self, number, sequence):
        sio, _, process = self.clients[number]
        post = Post('c%d-%d' % (number, sequence), process)

        def answered(*args):
            with self.lock:
                post.answered, post.answer = time.monotonic(), args
        with self.lock:
            self.posts.append(post)
        sio.emit('post', ('plain', post.text), namespace='/chat', callback=answered)

    def _run(self):
        step = POST_EVERY / CLIENTS
        turn = 0
        next_at = time.monotonic()
        while not self.stopped.is_set():
            number, sequence = turn % CLIENTS, turn // CLIENTS
            self.post(number, sequence)
            turn += 1
            next_at += step
            self.stopped.wait(max(0.0, next_at - time.monotonic()))

    def start(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopped.set()
        self.thread.join(10)

    def wait_answers(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(post.answered is not None for post in self.posts):
                    return
            time.sleep(0.2)

    def received(self):
        """For each client, a Counter of the texts of the publications it received."""
        return [collections.Counter(args[0]['text'] for args in recorder.of('publication'))
                for _, recorder, _ in self.clients]

    def wait_deliveries(self, texts, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(texts <= set(counts) for counts in self.received()):
                return
            time.sleep(0.5)

    def disconnect(self):
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            list(pool.map(lambda entry: entry[0].disconnect(), self.clients))


class Watch:
    """/health of each process and its RSS, every 0.5 s, in a thread."""

    def __init__(self, apps, pids):
        self.apps, self.pids = apps, pids
        self.samples = []         # (monotonic time, process index, health code, rss kB)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped.is_set():
            for index, (app, pid) in enumerate(zip(self.apps, self.pids)):
                try:
                    code = requests.get(app.url + '/health', timeout=5).status_code
                except requests.RequestException as exc:
                    code = repr(exc)
                self.samples.append((time.monotonic(), index, code, rss_kb(pid)))
            self.stopped.wait(0.5)

    def of(self, index, since=0.0, until=float('inf')):
        return [(at, code, rss) for at, number, code, rss in self.samples
                if number == index and since <= at <= until]

    def stop(self):
        self.stopped.set()
        self.thread.join(10)


def wait_healthy(app, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = requests.get(app.url + '/health', timeout=5)
        if response.status_code == 200:
            return response.json()
        time.sleep(0.2)
    raise AssertionError('%s still unhealthy: %s' % (app.url, response.text))


@pytest.fixture
def deployment():
    backend = servers.Redis()
    apps = []
    try:
        for _ in range(2):
            apps.append(start_app(['-m', 'tests.sample_apps.presence_app'], backend=backend.url,
                                  env=TIMINGS))
        chat = Chat(apps)
        try:
            yield backend, apps, chat
        finally:
            chat.disconnect()
    finally:
        for app in apps:
            app.stop()
        backend.close()


def test_client_pause_30s_while_200_clients_chat(deployment):
    backend, apps, chat = deployment
    began = time.monotonic()
    pids = [wait_healthy(app)['pid'] for app in apps]
    assert pids == [app.popen.pid for app in apps]
    chat.connect()
    connected = time.monotonic()
    watch = Watch(apps, pids)
    chat.start()
    time.sleep(WARM_UP)
    baseline = [rss_kb(pid) for pid in pids]

    admin = redis.Redis.from_url(backend.url, socket_timeout=PAUSE_MS / 1000 + 15)
    admin.ping()  # connected before the pause: its next command waits for the end of it
    assert admin.execute_command('CLIENT', 'PAUSE', str(PAUSE_MS), 'ALL') in (True, b'OK')
    paused = time.monotonic()
    admin.ping()  # held by Redis until the pause ends
    unpaused = time.monotonic()
    time.sleep(AFTER)
    chat.stop()
    chat.wait_answers(UNANSWERED_BOUND + 5)

    with chat.lock:
        posts = list(chat.posts)
    accepted = {post.text for post in posts if post.accepted}
    chat.wait_deliveries(accepted, 30)
    delivered = time.monotonic()
    for index, app in enumerate(apps):
        wait_healthy(app, timeout=15)
    watch.stop()

    during = [post for post in posts if paused <= post.sent <= unpaused]
    latencies = sorted(post.latency for post in during if post.latency is not None)
    summary = ('%d posts (%d during the %.1f s pause: %d accepted, %d refused; latency median '
               '%.2f s, max %.2f s); connect %.1f s, total %.1f s'
               % (len(posts), len(during), unpaused - paused,
                  sum(post.accepted for post in during), sum(post.refused for post in during),
                  latencies[len(latencies) // 2] if latencies else -1,
                  latencies[-1] if latencies else -1, connected - began,
                  delivered - began))
    print(summary)
    print('answered after over %s s (sent at +s, took s, process):' % FEW_SECONDS,
          [(round(post.sent - paused, 1), round(post.latency, 1), post.process)
           for post in during if post.latency and post.latency > FEW_SECONDS])
    assert unpaused - paused >= PAUSE_MS / 1000 - 1, 'the pause did not hold: ' + summary

    # Never a hang: every post is answered, an acknowledgement or an error.
    unanswered = [post.text for post in posts if post.answered is None]
    assert not unanswered, '%d posts never answered (%s...): %s' % (
        len(unanswered), unanswered[:5], summary)
    odd = [(post.text, post.answer) for post in posts if not (post.accepted or post.refused)]
    assert not odd, odd[:5]
    assert len(during) >= 0.8 * (unpaused - paused) * CLIENTS / POST_EVERY, summary
    assert max(latencies) <= UNANSWERED_BOUND, summary
    for index in range(len(apps)):
        mine = [post for post in during if post.process == index]
        slow = [post for post in mine if post.latency > FEW_SECONDS]
        assert len(slow) <= MAX_SLOW_PER_PROCESS, (
            'process %d: %d of %d posts during the pause took over %s s (%s): %s'
            % (index, len(slow), len(mine), FEW_SECONDS,
               ['%.1f' % post.latency for post in slow][:20], summary))
        answers = sorted(post.answered for post in mine)
        gaps = [later - earlier for earlier, later in zip([paused] + answers, answers)]
        assert max(gaps) <= FEW_SECONDS, ('process %d: no answer for %.1f s during the pause'
                                          % (index, max(gaps)))
    # Each refusal also came as an error event, to that client.
    refusals = collections.Counter(post.text.split('-')[0] for post in posts if post.refused)
    for number, (sio, recorder, _) in enumerate(chat.clients):
        assert len(recorder.of('error')) == refusals['c%d' % number], number

    # /health: 503 within the pause, 200 after it.
    for index in range(len(apps)):
        seen = watch.of(index, paused, unpaused)
        unhealthy = [at - paused for at, code, _ in seen if code == 503]
        assert unhealthy and unhealthy[0] < 12, (index, [(round(at - paused, 1), code)
                                                         for at, code, _ in seen])
        # RSS bounded: the pause, and the recovery after it.
        grown = max(rss for _, _, rss in watch.of(index, paused)) - baseline[index]
        print('process %d: RSS %d kB before the pause, grew by at most %d kB'
              % (index, baseline[index], grown))
        assert grown < MAX_GROWTH_KB, (index, grown)

    # Nothing accepted lost or duplicated, in both processes; the clients are still there.
    received = chat.received()
    assert len(accepted) >= 0.8 * (WARM_UP + AFTER - 3) * CLIENTS / POST_EVERY, summary
    after = [post for post in posts if post.sent > unpaused + 3]
    assert after and all(post.accepted for post in after), [
        (post.text, post.answer) for post in after if not post.accepted][:5]
    for number, counts in enumerate(received):
        missing = accepted - set(counts)
        assert not missing, 'client %d (process %d) missed %d accepted posts: %s' % (
            number, chat.clients[number][2], len(missing), sorted(missing)[:10])
        twice = [text for text, count in counts.items() if count > 1]
        assert not twice, 'client %d received twice: %s' % (number, twice[:10])
    # A refused post is never delivered twice either (checked above), but may have been
    # delivered: its publish raised once Redis left it unanswered, which the README allows
    # ("it may then still be delivered"); python-socketio hands an emit to the clients of its
    # own process before it publishes it to the bus, so such a post reached those.
    reach = collections.Counter()
    for post in posts:
        if post.refused:
            reached = sum(post.text in counts for counts in received)
            reach['none' if not reached else 'all' if reached == CLIENTS else 'some'] += 1
    print('refused posts delivered to:', dict(reach))
    assert all(sio.connected for sio, _, _ in chat.clients)
