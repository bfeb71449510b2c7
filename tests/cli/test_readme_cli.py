"""The README's command-line examples, run as written against a throwaway Redis: what each
line prints is what the README shows (epochs aside: a new Redis gives a new one), JSON on
stdout for a result, a message on stderr and a non-zero status for an error."""
import json
import os
import re
import shlex
import subprocess

import pytest

from tests import servers
from tests.helpers import PYTHON, ROOT

README = open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read()
DOCUMENTED_URL = 'redis://127.0.0.1:6379/0'
DOCUMENTED_EPOCH = '5f0c2a9e1b7d'


def examples():
    """``[(command, documented output line)]`` of the README's ``readme-cli`` block."""
    [block] = re.findall(r'<!-- readme-cli -->\n```sh\n(.*?)```', README, re.S)
    lines = block.splitlines()
    return [(line[2:], output) for line, output in zip(lines[::2], lines[1::2])
            if line.startswith('$ ')]


@pytest.fixture(scope='module')
def redis():
    server = servers.Redis()
    yield server
    server.close()


def run(command, redis):
    args = shlex.split(command.replace(DOCUMENTED_URL, redis.url))
    assert args[:3] == ['python', '-m', 'tgext.socketio'], command
    return subprocess.run([PYTHON] + args[1:], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)


def test_the_readme_examples_print_what_the_readme_shows(redis):
    documented = examples()
    assert [command.split()[3] for command, _ in documented] == [
        'publish', 'publish', 'publish', 'history', 'history', 'history', 'publish']
    epoch = None
    for command, output in documented:
        done = run(command, redis)
        if output.startswith('{'):
            assert done.returncode == 0 and done.stderr == '', (command, done.stderr)
            assert done.stdout.count('\n') == 1, done.stdout  # one JSON result, one line
            epoch = epoch or json.loads(done.stdout)['position']['epoch']
            assert json.loads(done.stdout) == json.loads(output.replace(DOCUMENTED_EPOCH, epoch))
        else:  # an error: nothing on stdout, the message on stderr, a non-zero status
            assert done.returncode != 0 and done.stdout == '', (command, done.stdout)
            assert done.stderr.strip().splitlines()[-1] == output


def test_publish_prints_the_position_the_subscribers_and_the_history_see(redis):
    channel = 'room-positions'
    printed = [json.loads(run("python -m tgext.socketio publish --backend %s %s '{\"n\": %d}'"
                              % (DOCUMENTED_URL, channel, n), redis).stdout)['position']
               for n in range(3)]
    assert [position['offset'] for position in printed] == [1, 2, 3]
    kept = json.loads(run('python -m tgext.socketio history --backend %s %s'
                          % (DOCUMENTED_URL, channel), redis).stdout)
    assert kept['publications'] == [[{'n': n}, printed[n]] for n in range(3)]


@pytest.mark.parametrize('command, status, message', [
    ("publish --backend redis://127.0.0.1:1/0 room-1 '{}'", 1, 'publish failed: cannot publish'),
    ('channels --backend redis://127.0.0.1:1/0 --window 0.2', 1, 'channels failed'),
    ('presence --backend redis://127.0.0.1:1/0 --window 0.2 room-1', 1, 'presence failed'),
    ('disconnect --backend redis://127.0.0.1:1/0 --window 0.2 --user u', 1,
     'disconnect failed'),
    ('history --backend redis://127.0.0.1:1/0 room-1', 1, 'history failed: ConnectionError'),
    ("publish room-1 '{}'", 2, 'give --backend URL or -c FILE.ini'),
    ('history -c /nonexistent.ini room-1', 2, 'no configuration file /nonexistent.ini'),
])
def test_every_error_is_a_message_on_stderr_and_a_non_zero_status(command, status, message,
                                                                   redis):
    done = run('python -m tgext.socketio ' + command, redis)
    assert (done.returncode, done.stdout) == (status, '')
    assert message in done.stderr
