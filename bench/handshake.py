"""make bench-handshake: where the time of a WebSocket handshake goes (issue #20).

python -m bench.handshake [--repeats 5] [--connections 1000] [--out docs/benchmarks]

Opens ``--connections`` WebSocket connections to ``/pingpong``, 100 at a time, as the row
"1,000 connections opened" of ``make bench`` does, to each of, interleaved:

* plain python-socketio (the baseline);
* tgext.socketio, each handshake through TurboGears, as it serves;
* tgext.socketio whose TurboGears pass dispatches nothing: the WSGI stack and TurboGears'
  request context run, and the endpoint claims the handshake in place of the root controller's
  dispatch (the least a pass through TurboGears can cost);
* tgext.socketio with no TurboGears pass (each handshake straight to python-socketio): what
  its own code costs.

The last two are measurements only (``bench/turbogears_pass.py``). Prints medians and their
ratios to the baseline, and writes them to ``handshake.md`` in ``--out``.
"""
import argparse
import os
import statistics

from tests.helpers import ROOT

from . import report, run

SYSTEMS = (report.BASELINE, report.OURS, run.DISPATCHING_NOTHING, run.NO_TURBOGEARS_PASS)


def measure(repeats, connections):
    """{system: [(seconds to open them, server CPU ms per connection), ...]}, interleaved."""
    measured = {system: [] for system in SYSTEMS}
    for _ in range(repeats):
        for system in SYSTEMS:
            result = run.measure(system, 'idle', {'connections': connections}, 1, 'memory://')
            assert result['connections'] == connections, result
            measured[system].append((result['open_s'],
                                     1000 * result['server_cpu_s'] / connections))
    return measured


def markdown(measured, repeats, connections):
    """The table: per system, the medians and their ratios to the baseline's."""
    medians = {system: [statistics.median(values) for values in zip(*runs)]
               for system, runs in measured.items()}
    base_seconds, base_cpu = medians[report.BASELINE]
    lines = ['# Handshakes: where the time goes', '',
             '{:,} WebSocket connections opened to `/pingpong`, 100 at a time; medians of {} '
             'interleaved repeats; ratios to plain python-socketio measured in the same run. '
             'Server CPU counts the connections\' whole life (opened, held 1 s, closed). '
             'Regenerate with `make bench-handshake`.'.format(connections, repeats), '',
             '| server | s to open them | ratio | server CPU ms per connection | ratio |',
             '|---|---:|---:|---:|---:|']
    for system in SYSTEMS:
        seconds, cpu = medians[system]
        lines.append('| %s | %.2f | **%s** | %.3f | %s |' % (
            system, seconds, _ratio(seconds, base_seconds), cpu, _ratio(cpu, base_cpu)))
    return '\n'.join(lines) + '\n'


def _ratio(value, baseline):
    """``value / baseline`` to two places, or a dash when the baseline measured nothing (CPU
    is counted in clock ticks: a few connections may take less than one)."""
    return '%.2f' % (value / baseline) if baseline else '–'


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m bench.handshake')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--connections', type=int, default=1000)
    parser.add_argument('--out', default=os.path.join(ROOT, 'docs', 'benchmarks'))
    args = parser.parse_args(argv)
    table = markdown(measure(args.repeats, args.connections), args.repeats, args.connections)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'handshake.md'), 'w') as out:
        out.write(table)
    print(table)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
