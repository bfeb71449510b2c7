"""The benchmark harness runs end to end (tiny sizes); its figures are not judged here."""
import json
import os

import pytest

from bench import handshake, report, run
from tests.helpers import client, start_app


# Each loadgen scenario, the node reference, the Redis pair and both variant systems once: the
# other rows only change sizes; and the idle memory of an event stream against a socket's.
# About 1.5 minutes on the shared 2-core machine.
EACH_KIND = ['round trips, 50 clients', 'idle connections', 'page with 10 widgets',
             'round trips, one client flooding', 'cross-process (Redis), history on / off',
             'fan-out 1,000, presence on / off', run.PRESENCE_FILL_ROW,
             'fan-out 1,000, Socket.IO / SSE', 'idle, Socket.IO / SSE',
             'live model: 10,000-row commit']


@pytest.mark.timeout(300)
def test_quick_bench_writes_results_table_and_chart(tmp_path):
    assert set(EACH_KIND) <= {scenario[0] for scenario in run.scenarios(quick=True)}
    only = [argument for name in EACH_KIND for argument in ('--only', name)]
    assert run.main(['--quick', '--repeats', '1', '--out', str(tmp_path)] + only) == 0
    rows = [json.loads(line) for line in open(tmp_path / 'results.jsonl')]
    scenarios = {row['scenario'] for row in rows}
    assert scenarios == set(EACH_KIND) and {row['system'] for row in rows} == {
        'tgext.socketio', 'python-socketio', 'node socket.io', run.HISTORY_OFF, run.PRESENCE_OFF,
        run.SSE, run.NO_LIVE_MODEL}
    assert {row['scenario'] for row in rows if row['system'] == run.SSE} == {
        'fan-out 1,000, Socket.IO / SSE', 'idle, Socket.IO / SSE'}
    idle = {row['system']: row for row in rows if row['scenario'] == 'idle, Socket.IO / SSE'}
    assert set(idle) == {'tgext.socketio', run.SSE}  # sockets against streams, same app
    [held] = [options['connections'] for name, _, options, *_ in run.scenarios(quick=True)
              if name == 'idle, Socket.IO / SSE']
    for row in idle.values():  # every stream (socket) opened and subscribed, and held memory
        assert row['connections'] == held and row['rss_kib_per_connection'] > 0, row
    assert {row['scenario'] for row in rows if row['system'] == run.HISTORY_OFF} == {
        'cross-process (Redis), history on / off'}
    assert {row['scenario'] for row in rows if row['system'] == run.PRESENCE_OFF} == {
        'fan-out 1,000, presence on / off', run.PRESENCE_FILL_ROW}
    fills = {row['system']: row for row in rows if row['scenario'] == run.PRESENCE_FILL_ROW}
    assert {system: row['presence'] for system, row in fills.items()} == {
        'tgext.socketio': True, run.PRESENCE_OFF: False}
    assert all(row['fill_s'] and row['lost'] == 0 for row in fills.values()), fills
    assert {row['scenario'] for row in rows if row['system'] == 'node socket.io'} == {
        'round trips, 50 clients', 'idle connections'}
    fanouts = [row for row in rows if 'deliveries' in row]
    assert fanouts and all(row['lost'] == 0 and row['duplicates'] == 0 for row in fanouts)
    table = open(tmp_path / 'README.md').read()
    assert all('| %s |' % name in table for name in scenarios)
    idle_processes = {row['system']: row['idle_process_rss_mib'] for row in rows
                      if row['scenario'] == 'idle connections'}
    assert len(idle_processes) == 3 and all(mib > 10 for mib in idle_processes.values())
    assert 'Idle connections, RSS of each idle server before the connections: %.1f MiB ' \
        '(tgext.socketio)' % idle_processes['tgext.socketio'] in table
    assert os.path.getsize(tmp_path / 'benchmarks.png') > 10000


def test_a_row_naming_its_own_baseline_is_compared_with_it():
    """The history rows: ours with history against ours without, not against python-socketio."""
    rows = [{'scenario': 'h', 'system': system, 'baseline': run.HISTORY_OFF, 'repeat': 0,
             'metric': 'deliveries_per_s', 'deliveries_per_s': value}
            for system, value in (('tgext.socketio', 90.0), (run.HISTORY_OFF, 100.0),
                                  ('python-socketio', 1000.0))]
    rows.append({'scenario': 'f', 'system': 'python-socketio', 'repeat': 0,  # no 'baseline'
                 'metric': 'deliveries_per_s', 'deliveries_per_s': 50.0})
    rows.append(dict(rows[-1], system='tgext.socketio', deliveries_per_s=100.0))
    entries = {entry['scenario']: entry for entry in report.summary(rows)}
    assert entries['h']['ratio'] == 0.9 and entries['h']['baseline_system'] == run.HISTORY_OFF
    assert entries['f']['ratio'] == 2.0 and entries['f']['baseline_system'] == 'python-socketio'
    assert run.command_of(run.HISTORY_OFF, 'fanout')[-2:] == ['--history', '*:0:0']
    assert run.command_of(run.PRESENCE_OFF, 'fanout', run.PRESENCE_ROW)[-2:] == ['--presence', '']
    assert '(baseline: %s)' % run.HISTORY_OFF in report.markdown(
        rows, {'machine': 'm', 'cpus': 2, 'python': '3', 'node': 'n', 'kernel': 'k',
               'date': 'd'}, 1)


@pytest.mark.timeout(180)
def test_handshake_bench_compares_every_turbogears_pass_with_python_socketio(tmp_path):
    """make bench-handshake: each server opens every connection (``measure`` asserts it), and
    the table has a row for each."""
    assert run.command_of(run.DISPATCHING_NOTHING, 'idle')[-2:] == [
        '--turbogears-pass', 'dispatch-nothing']
    assert run.command_of(run.NO_TURBOGEARS_PASS, 'idle')[-2:] == ['--turbogears-pass', 'none']
    assert handshake.main(['--repeats', '1', '--connections', '40', '--out', str(tmp_path)]) == 0
    table = open(tmp_path / 'handshake.md').read()
    rows = [line.split(' | ') for line in table.splitlines() if line.startswith('| ')][1:]
    assert [row[0][2:] for row in rows] == list(handshake.SYSTEMS)
    assert all(float(row[1]) > 0 for row in rows), table  # seconds to open them


def test_handshake_ratios_survive_a_baseline_that_measured_no_cpu():
    measured = {system: [(1.0, 0.0)] for system in handshake.SYSTEMS}
    assert '| python-socketio | 1.00 | **1.00** | 0.000 | – |' in handshake.markdown(
        measured, 1, 20)


@pytest.mark.parametrize('row, presence_channel', [
    (run.PRESENCE_ROW, True), ('fan-out 5,000', False)])
def test_the_fanout_room_is_a_presence_channel_in_the_presence_row_only(row, presence_channel):
    """The rows measure what they say: loadgen's room-1 is a presence channel of the
    benchmarked app in the presence row (the chat example's room-*), and an ordinary channel
    in the others (what presence costs is measured by the presence rows alone)."""
    app = start_app(run.command_of(report.OURS, 'fanout', row)[1:])
    try:
        sio, recorder = client(app.url, '/chat')
        try:
            assert sio.call('subscribe', ('room', '1'), namespace='/chat', timeout=10) == 'room-1'
            answer = sio.call('presence_stats', 'room-1', namespace='/chat', timeout=10)
            if presence_channel:  # told of its own join, at the end of the window
                [(diff, _)] = recorder.wait_for('presence_diff')
        finally:
            sio.disconnect()
    finally:
        app.stop()
    if presence_channel:
        assert answer == {'clients': 1, 'users': 1} and len(diff['joins']) == 1
    else:
        assert answer['error']['name'] == 'not_a_presence_channel'
