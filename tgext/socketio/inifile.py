"""Reading the ``socketio.*`` settings of an app from its PasteDeploy .ini file."""
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
