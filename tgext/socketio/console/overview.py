"""The console's picture of the cluster, merged from the servers' ``'overview'`` answers."""
import time


def summarize(answers):
    """Processes, connections and channels of the whole cluster.

    ``answers``: ``{host id: answer}`` from :func:`tgext.socketio.pubsub.ask.ask_servers`
    (one per python-socketio server; a process may run several).
    """
    processes, connections, channels, users = {}, [], {}, set()
    for answer in answers.values():
        origin = {'hostname': answer['hostname'], 'pid': answer['pid']}
        process = processes.setdefault((answer['hostname'], answer['pid']), dict(
            origin, servers=0, connections=0, namespaces={}, started=answer['started']))
        process['servers'] += 1
        process['started'] = min(process['started'], answer['started'])
        for namespace, count in answer['namespaces'].items():
            process['namespaces'][namespace] = process['namespaces'].get(namespace, 0) + count
            process['connections'] += count
        for connection in answer['connections']:
            connections.append(dict(connection, **origin))
            if connection['user'] is not None:
                users.add(connection['user'])
        for namespace, channel, subscribers, members in answer['channels']:
            row = channels.setdefault((namespace, channel), {
                'namespace': namespace, 'channel': channel, 'subscribers': 0, 'members': set()})
            row['subscribers'] += subscribers
            row['members'].update(members)
    listed = []
    for process in sorted(processes.values(), key=lambda p: (p['hostname'], p['pid'])):
        process['namespaces'] = [{'namespace': namespace, 'connections': count}
                                 for namespace, count in sorted(process['namespaces'].items())]
        process['up_since'] = time.strftime('%Y-%m-%d %H:%M:%S UTC',
                                            time.gmtime(process['started']))
        listed.append(process)
    rows = []
    for key in sorted(channels):
        row = channels[key]
        # members: how many users, on presence channels only (others have no member ids)
        row['members'] = len(row['members']) or None
        rows.append(row)
    connections.sort(key=lambda c: (c['namespace'], c['user'] or '', c['sid']))
    return {'processes': listed, 'connections': connections, 'channels': rows,
            'totals': {'processes': len(listed),
                       'connections': sum(p['connections'] for p in listed),
                       'users': len(users), 'channels': len(rows)}}
