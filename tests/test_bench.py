"""The benchmark harness runs end to end (tiny sizes); its figures are not judged here."""
import json
import os

from bench import run


def test_quick_bench_writes_results_table_and_chart(tmp_path):
    assert run.main(['--quick', '--repeats', '1', '--out', str(tmp_path)]) == 0
    rows = [json.loads(line) for line in open(tmp_path / 'results.jsonl')]
    scenarios = {row['scenario'] for row in rows}
    assert len(scenarios) == 8 and {row['system'] for row in rows} == {
        'tgext.socketio', 'python-socketio', 'node socket.io'}
    assert {row['scenario'] for row in rows if row['system'] == 'node socket.io'} == {
        'fan-out 200', 'fan-out 1,000', 'fan-out 5,000', 'round trips, 50 clients',
        'idle connections'}
    fanouts = [row for row in rows if 'deliveries' in row]
    assert fanouts and all(row['lost'] == 0 and row['duplicates'] == 0 for row in fanouts)
    table = open(tmp_path / 'README.md').read()
    assert all('| %s |' % name in table for name in scenarios)
    assert os.path.getsize(tmp_path / 'benchmarks.png') > 10000
