from setuptools import find_packages, setup

with open('README.md', encoding='utf-8') as readme:
    long_description = readme.read()

setup(
    name='tgext.socketio',
    version='0.1.0',
    description='Realtime for TurboGears2: Socket.IO namespaces, pub/sub and reactive widgets',
    long_description=long_description,
    long_description_content_type='text/markdown',
    license='MIT',
    python_requires='>=3.9',
    packages=find_packages(include=['tgext', 'tgext.*', 'axf_ractive', 'axf_ractive.*']),
    package_data={'axf_ractive': ['static/*.js']},
    zip_safe=False,
    install_requires=[
        'setuptools<82',  # tw2.core 2.3 imports pkg_resources
        'TurboGears2>=2.5,<2.6',
        'python-socketio>=5.11,<6',
        'python-engineio>=4.9,<5',
        'gevent>=23.9',
        'gevent-websocket>=0.10,<0.11',
        'tgext.tw2>=0.1',
        'tw2.core>=2.3,<2.4',
        'Genshi>=0.7.7',
        'FormEncode>=2.0',
        'chevron>=0.14,<0.15',
    ],
    extras_require={
        'redis': ['redis>=5,<9'],
        'amqp': ['kombu>=5.3,<6'],
        'mongo': ['pymongo>=4.6,<5'],
        'metrics': ['prometheus_client>=0.17'],
        'test': [
            'pytest>=8,<10', 'pytest-timeout>=2.3', 'requests', 'websocket-client>=1.7',
            'playwright>=1.45', 'gunicorn>=22', 'gearbox>=0.3', 'repoze.who>=2.4',
            'secantusdb==0.7.0b3', 'redis>=5,<9', 'kombu>=5.3,<6', 'pymongo>=4.6,<5',
            'WebTest>=3', 'SQLAlchemy>=2', 'zope.sqlalchemy>=3', 'transaction>=4', 'backlash>=0.5',
            'prometheus_client>=0.17',
        ],
        'bench': ['matplotlib>=3.7', 'py-spy>=0.3'],
    },
    entry_points={
        'paste.server_factory': ['gevent = tgext.socketio.serving:server_factory'],
    },
    classifiers=[
        'Framework :: TurboGears', 'Programming Language :: Python :: 3',
        'Topic :: Internet :: WWW/HTTP :: WSGI :: Application',
    ],
)
