"""The client address through trusted proxies: forged headers gain nothing."""
import pytest

from tgext.socketio.edge import addresses

NGINX = addresses.networks(['127.0.0.1'])
CDN_AND_NGINX = addresses.networks(['127.0.0.1', '203.0.113.0/24'])
XFF, FORWARDED = addresses.HEADERS['x-forwarded-for'], addresses.HEADERS['forwarded']


def seen(peer, trusted, key=XFF, **headers):
    environ = {'REMOTE_ADDR': peer, **headers}
    addresses.believe(environ, trusted, key)
    return environ['REMOTE_ADDR'], environ[addresses.PEER]


@pytest.mark.parametrize('peer, trusted, header, client', [
    ('192.0.2.7', (), '10.9.9.9', '192.0.2.7'),                # nothing trusted: the peer
    ('192.0.2.7', NGINX, '10.9.9.9', '192.0.2.7'),             # forged straight to the app
    ('127.0.0.1', NGINX, '192.0.2.7', '192.0.2.7'),            # through nginx
    ('127.0.0.1', NGINX, '10.9.9.9, 192.0.2.7', '192.0.2.7'),  # forged, then through nginx
    ('127.0.0.1', NGINX, '192.0.2.7, 203.0.113.5', '203.0.113.5'),  # the CDN is not trusted
    ('127.0.0.1', CDN_AND_NGINX, '10.9.9.9, 192.0.2.7, 203.0.113.5', '192.0.2.7'),
    ('127.0.0.1', NGINX, 'not-an-address', '127.0.0.1'),       # garbage: stop at the proxy
    ('127.0.0.1', NGINX, '', '127.0.0.1'),
])
def test_the_client_is_the_first_untrusted_address_from_the_right(peer, trusted, header,
                                                                  client):
    assert seen(peer, trusted, HTTP_X_FORWARDED_FOR=header) == (client, peer)


def test_forwarded_is_believed_only_when_it_is_the_configured_header():
    header = {'HTTP_FORWARDED': 'for=10.9.9.9, for="[2001:db8::1]:4711";proto=https',
              'HTTP_X_FORWARDED_FOR': '192.0.2.7'}
    assert seen('127.0.0.1', NGINX, FORWARDED, **header)[0] == '2001:db8::1'
    assert seen('127.0.0.1', NGINX, XFF, **header)[0] == '192.0.2.7'


def test_a_bad_setting_is_named():
    with pytest.raises(ValueError, match='not-a-network'):
        addresses.networks(['127.0.0.1', 'not-a-network'])
    with pytest.raises(ValueError, match='X-Real-IP'):
        addresses.header_key('X-Real-IP')
