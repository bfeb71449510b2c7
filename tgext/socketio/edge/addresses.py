"""The client's address, as seen through the proxies the app trusts.

``socketio.trusted_proxies`` lists the addresses and networks (``127.0.0.1``,
``10.0.0.0/8``) whose forwarding header to believe; by default none. The
header is read from the right: the TCP peer, if trusted, names the address it
got the request from, and so on while that address is trusted too; the first
address that is not a trusted proxy is the client's. What a client writes in
the header itself stays to the left of what its proxy appended, so forging it
gains nothing, and a request that does not come from a trusted proxy keeps
its peer's address whatever it says.

Only one header is believed (``socketio.forwarded_header``: ``X-Forwarded-For``,
what the documented nginx block sets, or ``Forwarded``): a proxy that sets one
passes the other through from the client untouched.
"""
import ipaddress

#: Environ key of the TCP peer's address once ``REMOTE_ADDR`` is the client's.
PEER = 'tgext.socketio.peer'

#: The headers a proxy may name the client in, by their setting.
HEADERS = {'x-forwarded-for': 'HTTP_X_FORWARDED_FOR', 'forwarded': 'HTTP_FORWARDED'}


def networks(proxies):
    """The networks of ``proxies`` (strings: addresses or CIDRs); ValueError names a bad one."""
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies or ()
                 if proxy.strip())


def header_key(name):
    """The environ key of the forwarding header ``name`` (ValueError for another header)."""
    try:
        return HEADERS[name.strip().lower()]
    except KeyError:
        raise ValueError('socketio.forwarded_header is X-Forwarded-For or Forwarded, not %r'
                         % name) from None


def believe(environ, trusted, key=HEADERS['x-forwarded-for']):
    """Make ``REMOTE_ADDR`` the client's address (the peer's stays in ``PEER``); idempotent."""
    if PEER in environ:
        return
    peer = environ[PEER] = environ.get('REMOTE_ADDR')
    if trusted and _is_trusted(peer, trusted) and environ.get(key):
        environ['REMOTE_ADDR'] = client_address(peer, _hops(environ[key], key), trusted)


def client_address(peer, hops, trusted):
    """The first address from the right of ``[*hops, peer]`` that is not a trusted proxy."""
    address = peer
    for hop in reversed(hops):
        if not _is_trusted(address, trusted):
            break
        if _parse(hop) is None:
            break  # a proxy wrote no address we can check: stop at that proxy
        address = hop
    return address


def _hops(value, key):
    """The addresses a forwarding header lists, left to right, as written."""
    if key == HEADERS['x-forwarded-for']:
        return [hop.strip() for hop in value.split(',')]
    hops = []
    for element in value.split(','):
        for pair in element.split(';'):
            name, _, forwarded_for = pair.strip().partition('=')
            if name.lower() == 'for':
                hops.append(_unquote_forwarded(forwarded_for))
    return hops


def _unquote_forwarded(value):
    """``"[2001:db8::1]:4711"`` -> ``2001:db8::1``; ``192.0.2.1:80`` -> ``192.0.2.1``."""
    value = value.strip().strip('"')
    if value.startswith('['):
        return value[1:].partition(']')[0]
    if value.count(':') == 1:
        return value.partition(':')[0]
    return value


def _parse(address):
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def _is_trusted(address, trusted):
    parsed = _parse(address or '')
    return parsed is not None and any(parsed in network for network in trusted)
