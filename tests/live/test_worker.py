"""A worker process with the app's models and no app publishes its commits by the backend URL."""
import subprocess

from tests.helpers import PYTHON, ROOT, client, start_app


def test_a_workers_commit_reaches_the_subscribers_of_the_serving_processes(redis, tmp_path):
    database = str(tmp_path / 'todos.db')
    app = start_app(['-m', 'tests.sample_apps.live_todos'], backend=redis.url,
                    env={'LIVE_TODOS_DB': database})
    sio, recorder = client(app.url, '/todos')
    try:
        assert sio.call('subscribe', ('todos', '5'), namespace='/todos', timeout=10) == 'todos-5'
        worker = subprocess.run([PYTHON, '-m', 'tests.live.worker_script', database, redis.url,
                                 '5', 'from the worker', 'and another'],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert worker.returncode == 0, worker.stderr
        [(data, channel, position)] = recorder.wait_for('publication')
        assert channel == 'todos-5'
        assert [row['text'] for row in data['live'][0]['upsert']] == ['from the worker',
                                                                      'and another']
    finally:
        sio.disconnect()
        app.stop()


def test_a_worker_with_nowhere_to_publish_fails_its_commit(tmp_path):
    database = str(tmp_path / 'todos.db')
    worker = subprocess.run([PYTHON, '-m', 'tests.live.worker_script', database, 'memory://',
                             '5', 'lost'], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert worker.returncode != 0
    assert 'PublishError' in worker.stderr and 'memory://' in worker.stderr
