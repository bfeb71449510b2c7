"""The options the command line reads from an app's .ini file."""
import pytest

from tgext.socketio.cli.options import app_settings


def test_ini_settings_of_the_app_section_with_here_expanded(tmp_path):
    ini = tmp_path / 'production.ini'
    ini.write_text('[app:main]\nuse = egg:myapp\nsocketio.backend = redis://127.0.0.1:1/0\n'
                   'socketio.channel = %(here)s/bus\n')
    settings = app_settings(str(ini))
    assert settings['socketio.backend'] == 'redis://127.0.0.1:1/0'
    assert settings['socketio.channel'] == '%s/bus' % tmp_path
    with pytest.raises(FileNotFoundError):
        app_settings(str(tmp_path / 'missing.ini'))
