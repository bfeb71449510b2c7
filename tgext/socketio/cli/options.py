"""The options every command shares: ``-c FILE.ini`` (the app's ``socketio.*`` settings,
read from its PasteDeploy .ini file), ``--backend URL`` and ``--channel-name``."""
import configparser
import os


def app_settings(path, section='app:main'):
    """The ``[app:main]`` options of ``path`` (``%(here)s`` expanded), as a dict."""
    if not os.path.isfile(path):
        raise FileNotFoundError('no configuration file %s' % path)
    parser = configparser.ConfigParser(
        defaults={'here': os.path.dirname(os.path.abspath(path)),
                  '__file__': os.path.abspath(path)})
    parser.read(path, encoding='utf-8')
    if not parser.has_section(section):
        raise ValueError('%s has no [%s] section' % (path, section))
    return dict(parser.items(section))


def add_backend_options(command, config_help="the app's .ini file (its socketio.backend "
                        'and socketio.channel)'):
    """The options every command line shares: ``-c FILE.ini``, ``--backend URL`` and
    ``--channel-name`` (read back by :func:`backend_from_args` and ``socketio.channel``)."""
    command.add_argument('-c', '--config', help=config_help)
    command.add_argument('--backend', help='backend URL shared with the servers '
                         '(redis://, amqp://, mongodb://)')
    command.add_argument('--channel-name', dest='bus_channel',
                         help='socketio.channel of the servers (default: tgext.socketio)')


def bus_channel_from_args(args, ini):
    """The servers' ``socketio.channel``: ``--channel-name``, else the .ini's, else the default."""
    return args.bus_channel or ini.get('socketio.channel', 'tgext.socketio')


def backend_from_args(args, parser):
    """``(backend URL, [app:main] settings)`` of a command's ``--backend`` / ``-c FILE.ini``;
    ``parser.error`` when there is neither."""
    ini = {}
    if args.config:
        try:
            ini = app_settings(args.config)
        except (OSError, ValueError) as exc:
            parser.error(str(exc))
    backend = args.backend or ini.get('socketio.backend')
    if not backend:
        parser.error('give --backend URL or -c FILE.ini with socketio.backend')
    return backend, ini
