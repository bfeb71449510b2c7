"""tgext.socketio's build: the wheel and the sdist carry the pinned front-end files.

``build_py`` (wheels, ``pip install .``) and ``sdist`` copy the files listed in
``tgext/socketio/edge/assets.py`` from ``public/node_modules`` (running ``npm ci`` in
``public/`` with the lock when they are missing or of other versions) into
``tgext/socketio/static/vendor/`` of what they build, never into the checkout.
An sdist carries the copies, ``public/package.json`` and the lock, so a wheel
builds from it without npm. An editable install copies nothing: it serves
``public/node_modules`` of the checkout (``make assets``).
"""
import importlib.util
import json
import os
import shutil
import subprocess

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = os.path.dirname(os.path.abspath(__file__))
PUBLIC = os.path.join(HERE, 'public')
VENDOR = os.path.join('tgext', 'socketio', 'static', 'vendor')
VERSIONS = 'versions.json'  # {npm package: version} of the copies, next to them

with open(os.path.join(HERE, 'README.md'), encoding='utf-8') as readme:
    long_description = readme.read()


def asset_list():
    """``ASSETS`` of tgext/socketio/edge/assets.py (read by path: nothing is installed yet)."""
    spec = importlib.util.spec_from_file_location(
        '_tgext_socketio_build_assets',
        os.path.join(HERE, 'tgext', 'socketio', 'edge', 'assets.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ASSETS


def npm_package(relative):
    """``socket.io-client`` of ``socket.io-client/dist/x.js`` (``@scope/name`` too)."""
    parts = relative.split('/')
    return '/'.join(parts[:2]) if parts[0].startswith('@') else parts[0]


def pinned_versions(assets):
    """{npm package: version} that ``public/package-lock.json`` pins."""
    with open(os.path.join(PUBLIC, 'package-lock.json'), encoding='utf-8') as lock:
        packages = json.load(lock)['packages']
    return {name: packages['node_modules/' + name]['version']
            for name in sorted({npm_package(relative) for relative in assets.values()})}


def installed_versions(assets):
    """{npm package: version} in ``public/node_modules``, ``None`` if a file is missing."""
    node_modules = os.path.join(PUBLIC, 'node_modules')
    if not all(os.path.isfile(os.path.join(node_modules, relative))
               for relative in assets.values()):
        return None
    versions = {}
    for name in {npm_package(relative) for relative in assets.values()}:
        with open(os.path.join(node_modules, name, 'package.json'), encoding='utf-8') as meta:
            versions[name] = json.load(meta)['version']
    return versions


def vendored_versions(folder, assets):
    """{npm package: version} of the copies in ``folder``, ``None`` if incomplete."""
    try:
        with open(os.path.join(folder, VERSIONS), encoding='utf-8') as stamp:
            versions = json.load(stamp)
    except (OSError, ValueError):
        return None
    return versions if all(os.path.isfile(os.path.join(folder, name)) for name in assets) else None


def copy_assets(target, log=print):
    """Put the pinned front-end files into ``target``, one file per URL name."""
    assets = asset_list()
    wanted = pinned_versions(assets)
    source = os.path.join(HERE, VENDOR)
    if vendored_versions(source, assets) == wanted:  # an unpacked sdist
        files = {name: os.path.join(source, name) for name in assets}
    else:
        if installed_versions(assets) != wanted:
            npm = shutil.which('npm')
            if npm is None:
                raise RuntimeError(
                    'tgext.socketio: building needs node and npm, to install the pinned '
                    'front-end packages (public/package-lock.json) that the package carries; '
                    'install them, or build the wheel from an sdist that carries the files')
            log('running npm ci in %s (node_modules missing or not the pinned versions)'
                % PUBLIC)
            subprocess.check_call([npm, 'ci', '--no-audit', '--no-fund'], cwd=PUBLIC)
            if installed_versions(assets) != wanted:
                raise RuntimeError('npm ci did not install %s in %s/node_modules'
                                   % (wanted, PUBLIC))
        files = {name: os.path.join(PUBLIC, 'node_modules', relative)
                 for name, relative in assets.items()}
    if os.path.abspath(target) == os.path.abspath(source):
        return
    os.makedirs(target, exist_ok=True)
    for name, path in files.items():
        shutil.copyfile(path, os.path.join(target, name))
    with open(os.path.join(target, VERSIONS), 'w', encoding='utf-8') as stamp:
        json.dump(wanted, stamp, indent=1, sort_keys=True)
    log('copied %s (%s) to %s' % (', '.join(sorted(files)),
                                  ', '.join('%s %s' % item for item in sorted(wanted.items())),
                                  target))


class BuildPyWithAssets(build_py):
    """``build_py`` that also puts the front-end files into the built package."""

    def run(self):
        super().run()
        if not getattr(self, 'editable_mode', False):  # editable: public/node_modules serves
            copy_assets(os.path.join(self.build_lib, VENDOR),
                        lambda message: self.announce(message, 2))


class SdistWithAssets(sdist):
    """``sdist`` whose tree carries the front-end files, so wheels build from it without npm."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        copy_assets(os.path.join(base_dir, VENDOR), lambda message: self.announce(message, 2))


setup(
    name='tgext.socketio',
    version='0.1.0',
    description='Realtime for TurboGears2: Socket.IO namespaces, pub/sub and reactive widgets',
    long_description=long_description,
    long_description_content_type='text/markdown',
    license='MIT',
    python_requires='>=3.9',
    packages=find_packages(include=['tgext', 'tgext.*', 'axf_ractive', 'axf_ractive.*']),
    package_data={'axf_ractive': ['static/*.js'], 'tgext.socketio.console': ['static/*.css']},
    zip_safe=False,
    cmdclass={'build_py': BuildPyWithAssets, 'sdist': SdistWithAssets},
    install_requires=[
        'setuptools<82',  # tw2.core 2.3 imports pkg_resources
        'TurboGears2>=2.5,<2.6',
        # The tested range (`make test-matrix` runs both ends): tgext.socketio.edge
        # overrides internals of these, so no release beyond it is admitted untested.
        'python-socketio>=5.17,<5.19',  # 5.17: tuples cross the bus; the Redis internals we use
        'python-engineio>=4.13.2,<4.16',  # what python-socketio 5.17 requires
        'gevent>=24.10.1,<27',  # gunicorn's gevent worker needs 24.10.1
        'gevent-websocket==0.10.1',
        'tgext.tw2>=0.1',
        'tw2.core>=2.3,<2.4',
        'Genshi>=0.7.7',
        'FormEncode>=2.0',
        'chevron>=0.14,<0.15',
        'transaction>=4',  # publications inside a transaction leave when it commits
    ],
    extras_require={
        'redis': ['redis>=5,<9'],
        'amqp': ['kombu>=5.3,<6'],
        'mongo': ['pymongo>=4.6,<5'],
        'metrics': ['prometheus_client>=0.17'],
        'live': ['SQLAlchemy>=2'],  # tgext.socketio.live: live models
        'test': [
            'pytest>=8,<10', 'pytest-timeout>=2.3', 'pytest-xdist>=3.5', 'requests',
            'websocket-client>=1.7',
            'playwright>=1.45', 'gunicorn>=22', 'gearbox>=0.3', 'repoze.who>=2.4',
            'secantusdb==0.7.0b3', 'redis>=5,<9', 'kombu>=5.3,<6', 'pymongo>=4.6,<5',
            'WebTest>=3', 'SQLAlchemy>=2', 'zope.sqlalchemy>=3', 'transaction>=4', 'backlash>=0.5',
            'prometheus_client>=0.17',
            'psycopg2-binary>=2.9',  # tests/live/test_outbox.py on PostgreSQL
        ],
        'bench': ['matplotlib>=3.7', 'py-spy>=0.3'],
    },
    entry_points={
        'paste.server_factory': ['gevent = tgext.socketio.serving:server_factory'],
        'paste.app_factory': ['script = tgext.socketio.serving:script_app_factory'],
    },
    classifiers=[
        'Framework :: TurboGears', 'Programming Language :: Python :: 3',
        'Topic :: Internet :: WWW/HTTP :: WSGI :: Application',
    ],
)
