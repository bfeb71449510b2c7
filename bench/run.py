"""make bench: each scenario against tgext.socketio, plain python-socketio (the baseline) and
the node socket.io server (the reference), interleaved.

python -m bench.run [--repeats 3] [--quick] [--out docs/benchmarks] [--only SCENARIO ...]
                    [--against REV]

Writes results.jsonl (one JSON line per measurement), README.md (medians and ratios to the
baseline measured in the same run) and benchmarks.png into --out, and prints the table. The
node reference runs the single-process socket scenarios only (no Redis bus, no pages). The
history rows compare tgext.socketio with its default history against the same app keeping none
(``socketio.history = *:0:0``, its baseline): their ratio is what keeping history costs. The
presence rows compare the app whose fan-out room is a presence channel (the joins told to the
room, as in the chat example) with the same app where it is an ordinary channel, as in every
other row: what presence costs the fan-out, and the filling of a 5,000-member channel.
``--against REV`` compares every row with tgext.socketio as it was at git revision REV (a
copy of that revision's tree, served the same way) instead of the row's baseline: did a change
move the numbers? (Write its table elsewhere than docs/benchmarks with ``--out``.)
Only ratios from one interleaved run mean anything: absolute figures move with the machine.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

from tests import servers
from tests.helpers import PYTHON, ROOT, Process, free_port

from . import report
from .flood import Flooder

LOADGEN = os.path.join(ROOT, 'bench', 'loadgen.js')
SYSTEMS = {
    'tgext.socketio': [PYTHON, os.path.join(ROOT, 'bench', 'our_app.py')],
    'python-socketio': [PYTHON, os.path.join(ROOT, 'bench', 'baseline_server.py')],
    'node socket.io': ['node', os.path.join(ROOT, 'bench', 'node_server.js')],
}
PAGE_PATHS = {'tgext.socketio': '/widgets', 'python-socketio': '/plain'}
HISTORY_OFF = 'tgext.socketio, history off'
PRESENCE_OFF = 'tgext.socketio, presence off'
# Variants of a system: (system, extra arguments). *:0:0 keeps nothing but still gives positions;
# --presence '' makes the chat's rooms ordinary channels, as our app has them by default.
SSE = 'tgext.socketio, Server-Sent Events'
VARIANTS = {HISTORY_OFF: ('tgext.socketio', ['--history', '*:0:0']),
            PRESENCE_OFF: ('tgext.socketio', ['--presence', '']),
            SSE: ('tgext.socketio', [])}
# Systems whose subscribers the load generator opens otherwise: SSE's are event streams.
LOADGEN_OPTIONS = {SSE: {'sse': 1}}
# Issue #17: what live models cost. The writer is a process of bench/live.py; the app serves
# the subscriber. Baselines: the same commit with a hand-written publish() after it, and the
# same 10,000-row commit of a model that is not @live.
PUBLISH_AFTER_COMMIT = 'tgext.socketio, publish() after commit'
NO_LIVE_MODEL = 'tgext.socketio, no live model'
VARIANTS.update({PUBLISH_AFTER_COMMIT: ('tgext.socketio', []),
                 NO_LIVE_MODEL: ('tgext.socketio', [])})
LIVE_SCENARIOS = {'live': {PUBLISH_AFTER_COMMIT: 'publish'},  # scenario -> {system: mode}
                  'bulk': {NO_LIVE_MODEL: 'bulk-plain'}}
LIVE_MODES = {'live': 'live', 'bulk': 'bulk-live'}  # ours (or ours at a revision)
# Issue #20: handshakes with less of TurboGears (bench/turbogears_pass.py), measured by
# bench/handshake.py only.
DISPATCHING_NOTHING = 'tgext.socketio, TurboGears dispatching nothing'
NO_TURBOGEARS_PASS = 'tgext.socketio, no TurboGears pass'
VARIANTS.update({DISPATCHING_NOTHING: ('tgext.socketio', ['--turbogears-pass', 'dispatch-nothing']),
                 NO_TURBOGEARS_PASS: ('tgext.socketio', ['--turbogears-pass', 'none'])})
PRESENCE_ROW = 'fan-out 1,000, presence on / off'
PRESENCE_FILL_ROW = 'presence channel of 5,000 members fills'
# Rows where ours runs with extra arguments: in the presence rows, the rooms are presence channels.
OURS_ARGUMENTS = dict.fromkeys([PRESENCE_ROW, PRESENCE_FILL_ROW], ['--presence', 'room-*'])
ENVIRONMENTS = {}  # system -> environment variables of its server processes
COMPARED = tuple(SYSTEMS)  # (ours, baseline, reference): the first is ours, the second the baseline
HISTORY = (report.OURS, HISTORY_OFF)  # ours with the default history / the same without
PRESENCE = (report.OURS, PRESENCE_OFF)  # ours with room-1 a presence channel / an ordinary one
OVER_SSE = (report.OURS, SSE)  # the same app's subscribers as Socket.IO connections / as streams
LIVE_VS_PUBLISH = (report.OURS, PUBLISH_AFTER_COMMIT)
LIVE_VS_PLAIN = (report.OURS, NO_LIVE_MODEL)


def scenarios(quick):
    """(name, loadgen scenario, options, servers, main metric[, systems compared]).

    Systems compared: ours first, the baseline of the row second, interleaved in that order.
    """
    scale = (lambda full, small: small) if quick else (lambda full, small: full)
    return [
        # ~50,000 to 150,000 deliveries each: a shorter delivery phase is mostly noise here.
        ('fan-out 200', 'fanout', {'subscribers': 200, 'messages': scale(250, 10)}, 1,
         'deliveries_per_s'),
        ('fan-out 1,000', 'fanout', {'subscribers': scale(1000, 300), 'messages': scale(100, 5)},
         1, 'deliveries_per_s'),
        ('fan-out 5,000', 'fanout', {'subscribers': scale(5000, 500), 'messages': scale(30, 3)},
         1, 'deliveries_per_s'),
        ('round trips, 50 clients', 'roundtrip', {'clients': 50, 'seconds': scale(5, 1)}, 1,
         'round_trips_per_s'),
        ('idle connections', 'idle', {'connections': scale(5000, 300)}, 1,
         'rss_kib_per_connection'),
        # Issue #20: the seconds to open 1,000 WebSocket connections to /pingpong (each a
        # handshake through TurboGears in ours), 100 at a time.
        ('1,000 connections opened', 'idle', {'connections': scale(1000, 300)}, 1, 'open_s'),
        ('cross-process (Redis)', 'fanout', {'subscribers': scale(1000, 200),
                                             'messages': scale(40, 5)}, 2, 'deliveries_per_s'),
        ('page with 10 widgets', 'page', {'seconds': scale(5, 1), 'concurrency': 10}, 1,
         'requests_per_s'),
        # 50 clients' round trips while one more floods no-reply events as fast as it can.
        # At most that many flood events: python-socketio answers the others only after it has
        # read the whole flood (with a million, --quick would spend a minute waiting for it).
        ('round trips, one client flooding', 'flood',
         {'clients': 50, 'seconds': scale(10, 2), 'events': scale(1000000, 20000)}, 1, 'p99_ms'),
        # Issue #9: the default history (*:100:300) against the same app keeping no history
        # (positions in both); 150 messages, so that the 100-entry history is trimmed.
        ('fan-out 1,000, history on / off', 'fanout',
         {'subscribers': scale(1000, 300), 'messages': scale(150, 5)}, 1, 'deliveries_per_s',
         HISTORY),
        ('cross-process (Redis), history on / off', 'fanout',
         {'subscribers': scale(1000, 200), 'messages': scale(150, 5)}, 2, 'deliveries_per_s',
         HISTORY),
        # Issue #11: the fan-out's room-1 as a presence channel (the chat example's default:
        # every subscriber's join is told to the room) against the same app where it is not.
        (PRESENCE_ROW, 'fanout',
         {'subscribers': scale(1000, 300), 'messages': scale(100, 5)}, 1, 'deliveries_per_s',
         PRESENCE),
        # Issue #20: 5,000 users subscribe to room-1 until all are subscribed and every one told
        # of every member (its presence_diff events), against the same subscriptions to an
        # ordinary channel.
        (PRESENCE_FILL_ROW, 'presence', {'subscribers': scale(5000, 300)}, 1, 'fill_s', PRESENCE),
        # Issue #19: the chat's room as 1,000 Socket.IO subscribers against 1,000 event streams
        # (GET /events/room/1) of the same app; and what an idle one of each holds.
        ('fan-out 1,000, Socket.IO / SSE', 'fanout',
         {'subscribers': scale(1000, 300), 'messages': scale(100, 5)}, 1, 'deliveries_per_s',
         OVER_SSE),
        ('idle, Socket.IO / SSE', 'idle', {'connections': scale(2000, 300)}, 1,
         'rss_kib_per_connection', OVER_SSE),
        # Issue #17: a one-row commit of a @live model until its subscriber has it, against the
        # same commit of a plain model and a hand-written publish() after it (Redis backend);
        # a 10,000-row commit of a @live model against the same model without @live.
        ('live model: commit to subscriber', 'live', {'commits': scale(300, 30)}, 1,
         'commit_p50_ms', LIVE_VS_PUBLISH),
        ('live model: 10,000-row commit', 'bulk', {'rows': scale(10000, 1000)}, 1,
         'rows_per_s', LIVE_VS_PLAIN),
    ]


def page_path(system):
    """The page a system serves in the page row (ours at a revision serves ours)."""
    return PAGE_PATHS.get(system, PAGE_PATHS[report.OURS])


def takes_part(system, scenario, server_count):
    """The node reference has no Redis bus here, serves no TurboGears pages and has no
    ``/chat`` for the flood."""
    return system != report.REFERENCE or (scenario not in ('page', 'flood')
                                          and server_count == 1)


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as status:
        return int(next(line for line in status if line.startswith('VmRSS')).split()[1])


def loadgen_command(scenario, url, options):
    return ['node', LOADGEN, scenario, url] + ['%s=%s' % item for item in options.items()]


def loadgen(scenario, url, options):
    result = subprocess.run(loadgen_command(scenario, url, options), capture_output=True,
                            text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError('load generator failed: %s' % result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_idle(url, pid, options):
    """Hold the connections, read the server's RSS, then let them go."""
    before = rss_kib(pid)
    holder = subprocess.Popen(loadgen_command('idle', url, options), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    ready = json.loads(holder.stdout.readline())
    time.sleep(1)
    held = rss_kib(pid)
    holder.stdin.close()
    holder.wait(60)
    ready['rss_kib_per_connection'] = (held - before) / ready['connections']
    ready['idle_process_rss_mib'] = before / 1024  # what the process holds with no connection
    ready['open_s'] = ready['connections'] / ready['connects_per_s']
    return ready


def measure_flood(url, options):
    """The round trips of ``loadgen roundtrip`` while one client floods (see bench/flood.py)."""
    flooder = Flooder(url, limit=options.get('events', 1000000),
                      seconds=options['seconds'] + 30).start()
    try:
        time.sleep(0.5)  # the flood is under way
        result = loadgen('roundtrip', url, options)
    finally:
        result_of_flood = flooder.stop()
    return {**result, **result_of_flood}


def measure_live(system, scenario, url, backend, options):
    """Run bench/live.py's writer against the app at ``url`` (see its docstring)."""
    mode = LIVE_SCENARIOS[scenario].get(system, LIVE_MODES[scenario])
    command = [PYTHON, '-m', 'bench.live', mode, url, backend] + [
        '--%s=%s' % item for item in options.items()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT,
                            env={**os.environ, **ENVIRONMENTS.get(system, {})})
    if result.returncode != 0:
        raise RuntimeError('bench.live %s failed: %s' % (mode, result.stderr[-2000:]))
    return json.loads(result.stdout.strip().splitlines()[-1])


def command_of(system, scenario, row=None):
    """The server's command line (without ``--port`` and ``--backend``) in ``row``."""
    ours = system == report.OURS or system in ENVIRONMENTS  # ours now, or at a revision
    system, extra = VARIANTS.get(system, (system, OURS_ARGUMENTS.get(row, []) if ours else []))
    # Pages: the baseline is the same markup without widgets, in the same TurboGears app.
    return SYSTEMS[report.OURS if scenario == 'page' and not ours else system] + extra


def measure(system, scenario, options, server_count, backend, row=None):
    command = command_of(system, scenario, row)
    options = dict(options, **LOADGEN_OPTIONS.get(system, {}))
    processes = [Process(command + ['--port', str(port), '--backend', backend], port=port,
                         env=ENVIRONMENTS.get(system))
                 for port in [free_port() for _ in range(server_count)]]
    try:
        url = processes[0].url
        for process in processes:
            requests_warm_up(process.url, scenario, system)
        pids = [process.popen.pid for process in processes]
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        if scenario in LIVE_SCENARIOS:
            result = measure_live(system, scenario, url, backend, options)
        elif scenario == 'idle':
            result = measure_idle(url, pids[0], options)
        elif scenario == 'page':
            result = loadgen('page', url, dict(options, path=page_path(system)))
        elif scenario == 'flood':
            result = measure_flood(url, options)
        else:
            if server_count > 1:
                options = dict(options, subscribe_urls=','.join(p.url for p in processes))
            result = loadgen(scenario, url, options)
        result['server_cpu_s'] = sum(cpu_seconds(pid) for pid in pids) - cpu_before
        if result.get('failures'):
            raise RuntimeError('%s: %d failed requests' % (scenario, result['failures']))
        return result
    finally:
        for process in processes:
            process.stop()


def requests_warm_up(url, scenario, system):
    """One short run first, so that lazily built objects are not measured."""
    if scenario == 'page':
        loadgen('page', url, {'seconds': 0.3, 'concurrency': 2, 'path': page_path(system)})
    elif scenario in ('fanout', 'roundtrip', 'flood', 'presence'):
        loadgen('roundtrip', url, {'clients': 2, 'seconds': 0.2})


def add_revision(revision, folder):
    """Make ``tgext.socketio at REVISION`` a system: that revision's tree, copied into
    ``folder``, imported before the installed package. Returns the system's name."""
    subprocess.run('git archive %s | tar -x -C %s' % (revision, folder), shell=True, cwd=ROOT,
                   check=True)
    os.symlink(os.path.join(ROOT, 'public', 'node_modules'),
               os.path.join(folder, 'public', 'node_modules'))
    name = 'tgext.socketio at %s' % revision
    SYSTEMS[name] = [PYTHON, os.path.join(folder, 'bench', 'our_app.py')]
    ENVIRONMENTS[name] = {'PYTHONPATH': folder}
    return name


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m bench.run')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--quick', action='store_true', help='small sizes, for a smoke test')
    parser.add_argument('--out', default=os.path.join(ROOT, 'docs', 'benchmarks'))
    parser.add_argument('--only', action='append', metavar='SCENARIO',
                        help='run only this scenario (its name; repeatable)')
    parser.add_argument('--against', metavar='REV',
                        help='compare with tgext.socketio at git revision REV, not the baseline')
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    earlier = tempfile.TemporaryDirectory(prefix='tgext-socketio-bench-')
    against = add_revision(args.against, earlier.name) if args.against else None
    machine = {'machine': platform.machine(), 'cpus': os.cpu_count(),
               'python': platform.python_version(), 'kernel': platform.release(),
               'node': subprocess.run(['node', '--version'], capture_output=True,
                                      text=True).stdout.strip(),
               'date': time.strftime('%Y-%m-%d')}
    redis = servers.Redis()
    rows = []
    try:
        for name, scenario, options, server_count, metric, *compared in scenarios(args.quick):
            if args.only and name not in args.only:
                continue
            systems = (report.OURS, against) if against else compared[0] if compared else COMPARED
            # a live model's writer is a process of its own: it reaches the app through Redis
            backend = (redis.url if server_count > 1 or scenario in LIVE_SCENARIOS
                       else 'memory://')
            for repeat in range(args.repeats):
                for system in systems:  # interleaved: ours, baseline, reference, ours, ...
                    if not takes_part(system, scenario, server_count):
                        continue
                    result = measure(system, scenario, options, server_count, backend, name)
                    row = {'scenario': name, 'system': system, 'baseline': systems[1],
                           'repeat': repeat, 'metric': metric, **result}
                    rows.append(row)
                    print(json.dumps({key: row[key] for key in ('scenario', 'system', 'repeat')}
                                     | {metric: round(result[metric], 2)}), flush=True)
    finally:
        redis.stop()
        earlier.cleanup()
    with open(os.path.join(args.out, 'results.jsonl'), 'w') as out:
        for row in rows:
            out.write(json.dumps(row) + '\n')
    table = report.markdown(rows, machine, args.repeats)
    with open(os.path.join(args.out, 'README.md'), 'w') as out:
        out.write(table)
    report.chart(rows, os.path.join(args.out, 'benchmarks.png'))
    print(table)
    return 0


if __name__ == '__main__':
    sys.exit(main())
