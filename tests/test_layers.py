"""The package's layers: no import cycle, and no import from a layer to one above it
(``tests/layers.py`` reads every import, those inside functions included)."""
import os
import shutil

import pytest

from tests import layers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_no_import_goes_up_or_round_in_a_circle():
    assert layers.problems(ROOT) == []


def test_every_subpackage_is_a_layer_and_says_what_it_may_use():
    package = os.path.join(ROOT, 'tgext', 'socketio')
    for name in sorted(os.listdir(package)):
        init = os.path.join(package, name, '__init__.py')
        if os.path.isfile(init):
            assert name in layers.RANKS, '%s is not a layer of tests/layers.py' % name
            assert 'May use:' in open(init, encoding='utf-8').read(), (
                '%s/__init__.py does not say what it may use' % name)


@pytest.fixture
def tree(tmp_path):
    """A copy of the package's source, to add a wrong import to."""
    for top in ('tgext', 'axf_ractive'):
        shutil.copytree(os.path.join(ROOT, top), str(tmp_path / top),
                        ignore=shutil.ignore_patterns('__pycache__', 'static'))
    return tmp_path


def add_import(tree, module, line):
    """Append a function that imports ``line`` to ``module`` (a path below tgext/socketio)."""
    with open(str(tree / 'tgext' / 'socketio' / module), 'a', encoding='utf-8') as source:
        source.write('\n\ndef _added():\n    %s\n' % line)


def test_an_import_from_a_lower_layer_to_a_higher_one_is_named(tree):
    add_import(tree, 'edge/origins.py', 'from ..pubsub import bus')
    assert layers.problems(str(tree)) == [
        'tgext.socketio.edge.origins -> tgext.socketio.pubsub.bus (edge -> pubsub)']


def test_an_import_between_sibling_layers_is_named(tree):
    add_import(tree, 'cli/options.py', 'from ..console import overview')
    assert layers.problems(str(tree)) == [
        'tgext.socketio.cli.options -> tgext.socketio.console.overview (cli -> console)']


def test_a_cycle_inside_a_layer_is_named(tree):
    add_import(tree, 'namespaces/mailbox.py', 'from . import bridge')
    assert layers.problems(str(tree)) == [
        'cycle: tgext.socketio.namespaces.bridge <-> tgext.socketio.namespaces.mailbox']


def test_the_public_api_may_use_every_layer(tree):
    add_import(tree, 'testing.py', 'from .console import overview')
    assert layers.problems(str(tree)) == []
