"""The server freezes what the process holds once the app is loaded (issue #20).

A full collection of a TurboGears app's heap took ~70 ms in the fan-out bench, a pause
every client felt; once frozen, the collector scans only what came after start-up.
"""
import json
import subprocess

from tests.helpers import PYTHON, ROOT

SCRIPT = '''
import gc, json, sys
from gevent import monkey
monkey.patch_all()
from tgext.socketio import serving
app = serving.load_script(%r).make_app()
serving.make_server(app, port=0, freeze_heap=sys.argv[1] == 'yes')
print(json.dumps({'frozen': gc.get_freeze_count(), 'scanned': len(gc.get_objects())}))
''' % (ROOT + '/examples/pingpong/app.py')


def heap_after_make_server(freeze):
    out = subprocess.run([PYTHON, '-c', SCRIPT, 'yes' if freeze else 'no'], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_full_collections_scan_only_what_came_after_start_up():
    frozen = heap_after_make_server(freeze=True)
    assert frozen['frozen'] > 10 * frozen['scanned'], frozen
    kept = heap_after_make_server(freeze=False)
    assert kept['frozen'] == 0
    assert kept['scanned'] > frozen['frozen'] // 2, (kept, frozen)
