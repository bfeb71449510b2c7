"""Tables and charts of benchmark rows: medians per scenario and ratios to the baseline."""
import statistics

OURS, BASELINE, REFERENCE = 'tgext.socketio', 'python-socketio', 'node socket.io'
LOWER_IS_BETTER = {'rss_kib_per_connection', 'p99_ms', 'commit_p50_ms', 'fill_s', 'open_s'}
UNITS = {'deliveries_per_s': 'deliveries/s', 'round_trips_per_s': 'round trips/s',
         'rss_kib_per_connection': 'KiB RSS per connection (lower is better)',
         'requests_per_s': 'pages/s (baseline: the same markup without widgets)',
         'p99_ms': 'ms round-trip p99 of 50 clients (lower is better)',
         'commit_p50_ms': 'ms from before the commit to the subscriber, p50 (lower is better)',
         'rows_per_s': 'rows/s of one commit, its publication included',
         'fill_s': 's until all are subscribed and told of every member (lower is better)',
         'open_s': 's to open them, 100 at a time (lower is better)'}


def _median(rows, key):
    values = [row[key] for row in rows if row.get(key) is not None]
    return statistics.median(values) if values else None


def _scenarios(rows):
    names = []
    for row in rows:
        if row['scenario'] not in names:
            names.append(row['scenario'])
    return names


def baseline_of(rows, name):
    """The baseline system of scenario ``name``: python-socketio unless its rows name another
    (the history rows: tgext.socketio keeping no history)."""
    return next((row.get('baseline') or BASELINE for row in rows if row['scenario'] == name),
                BASELINE)


def summary(rows):
    """Per scenario: the metric, its medians and their ratios to the baseline (ours, and the
    node reference's where it ran), and latency/CPU medians of ours and the baseline."""
    result = []
    for name in _scenarios(rows):
        baseline_system = baseline_of(rows, name)
        of = {system: [row for row in rows if row['scenario'] == name and row['system'] == system]
              for system in (OURS, baseline_system, REFERENCE)}
        metric = of[OURS][0]['metric']
        ours, baseline, reference = (_median(of[system], metric)
                                     for system in (OURS, baseline_system, REFERENCE))
        entry = {'scenario': name, 'metric': metric, 'ours': ours, 'baseline': baseline,
                 'baseline_system': baseline_system, 'ratio': _ratio(ours, baseline),
                 'reference': reference, 'reference_ratio': _ratio(reference, baseline)}
        for key in ('p50_ms', 'p99_ms', 'server_cpu_s', 'loadgen_cpu_s', 'connects_per_s'):
            entry[key] = (_median(of[OURS], key), _median(of[baseline_system], key))
        entry['lost'] = sum(row.get('lost', 0) for row in of[OURS])
        entry['duplicates'] = sum(row.get('duplicates', 0) for row in of[OURS])
        result.append(entry)
    return result


def _ratio(value, baseline):
    return value / baseline if value and baseline else None


def _number(value, digits=0):
    if value is None:
        return '–'
    return '{:,.{}f}'.format(value, digits)


def _pair(values, digits=1):
    return '%s / %s' % (_number(values[0], digits), _number(values[1], digits))


def markdown(rows, machine, repeats):
    lines = [
        '# Benchmarks', '',
        'Medians of %d interleaved repeats; ratio = tgext.socketio / plain python-socketio 5 '
        '(the baseline: the same handlers on gevent\'s pywsgi with gevent-websocket\'s handler and '
        'TCP_NODELAY, as python-socketio documents it; measured in the same run). '
        'Pairs are tgext.socketio / baseline. The node socket.io 4.8 server with the same '
        'handlers is the reference (its ratio is to the same baseline); it runs the '
        'single-process socket scenarios. Rows naming another baseline compare against it '
        '(history on / off: the same tgext.socketio app with `socketio.history = *:0:0`, which '
        'keeps no history but still gives positions; their ratio is the cost of the history; '
        'presence on / off: the same app where the fan-out\'s room is no presence channel). '
        'Regenerate with `make bench`.' % repeats, '',
        'Machine: %(machine)s, %(cpus)s CPUs, Python %(python)s, node %(node)s, '
        'kernel %(kernel)s, %(date)s.' % machine, '',
        '| scenario | metric | tgext.socketio | baseline | ratio | node socket.io | node ratio '
        '| p50 ms | p99 ms | lost / dup | server CPU s | load generator CPU s |',
        '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for entry in summary(rows):
        digits = 1 if entry['metric'] in LOWER_IS_BETTER else 0
        unit = UNITS[entry['metric']]
        if entry['baseline_system'] != BASELINE:
            unit += ' (baseline: %s)' % entry['baseline_system']
        lines.append('| %s | %s | %s | %s | **%s** | %s | %s | %s | %s | %s | %s | %s |' % (
            entry['scenario'], unit, _number(entry['ours'], digits),
            _number(entry['baseline'], digits), _number(entry['ratio'], 2),
            _number(entry['reference'], digits), _number(entry['reference_ratio'], 2),
            _pair(entry['p50_ms']), _pair(entry['p99_ms']),
            '%d / %d' % (entry['lost'], entry['duplicates']), _pair(entry['server_cpu_s']),
            _pair(entry['loadgen_cpu_s'])))
    lines += _idle_baselines(rows)
    lines += ['', '![benchmarks](benchmarks.png)', '']
    return '\n'.join(lines)


def _idle_baselines(rows):
    """A line per idle row: each server's RSS before its connections (medians), the base
    its per-connection figure adds to."""
    lines = []
    for name in _scenarios(rows):
        of = {}
        for row in rows:
            if row['scenario'] == name and row['metric'] == 'rss_kib_per_connection':
                of.setdefault(row['system'], []).append(row)
        if of:
            held = ', '.join('%s MiB (%s)' % (_number(_median(measured, 'idle_process_rss_mib'),
                                                      1), system)
                             for system, measured in of.items())
            lines += ['', '%s, RSS of each idle server before the connections: %s.'
                      % (name[0].upper() + name[1:], held)]
    return lines


def chart(rows, path):
    """Ratios per scenario, and latency distributions of the latency scenarios."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    entries = summary(rows)
    figure, (ratios, latency) = plt.subplots(1, 2, figsize=(13, 5))
    names = [entry['scenario'] for entry in entries]
    values = [entry['ratio'] or 0 for entry in entries]
    ratios.barh(names, values, color=['#4c72b0' if entry['metric'] not in LOWER_IS_BETTER
                                      else '#dd8452' for entry in entries], label=OURS)
    measured = [entry for entry in entries if entry['reference_ratio']]
    ratios.scatter([entry['reference_ratio'] for entry in measured],
                   [entry['scenario'] for entry in measured], color='black', marker='D',
                   zorder=3, label=REFERENCE)
    ratios.axvline(1.0, color='black', linewidth=1)
    ratios.invert_yaxis()
    ratios.set_xlabel('ratio to the baseline: python-socketio, or the row\'s own '
                      '(memory: lower is better)')
    ratios.set_title('Median ratio to the baseline')
    ratios.legend(fontsize=8)
    for name in [entry['scenario'] for entry in entries if entry['p50_ms'][0] is not None]:
        for system, style in ((OURS, '-'), (baseline_of(rows, name), '--'), (REFERENCE, ':')):
            histograms = [row['histogram'] for row in rows
                          if row['scenario'] == name and row['system'] == system]
            if histograms:
                edges = [edge for edge, _ in histograms[0]]
                shares = [statistics.median(h[i][1] for h in histograms)
                          for i in range(len(edges))]
                latency.plot(edges, shares, style, label='%s, %s' % (name, system))
    latency.set_xscale('log')
    latency.set_xlabel('latency, ms')
    latency.set_ylabel('share of messages at most this late')
    latency.set_title('Latency distribution')
    latency.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
