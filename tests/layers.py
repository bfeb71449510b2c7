"""Reading the imports of tgext.socketio and axf_ractive, and checking them against the layers.

Every import counts, those inside functions included. :func:`problems` names
each import from a layer to one it may not use (a higher layer, or a sibling)
and each import cycle.
"""
import ast
import os

PACKAGE = 'tgext.socketio'

#: Layer -> rank. A module may import its own layer's modules and those of lower ranks;
#: layers of the same rank (siblings) may not import each other.
RANKS = {
    'edge': 0,
    'namespaces': 1,
    'pubsub': 2,
    'cluster': 3,
    'live': 3,
    'sse': 3,
    'app': 4,
    'http_api': 4,
    'axf_ractive': 4,
    'console': 5,
    'cli': 5,
    'api': 6,   # tgext.socketio itself, __main__, serving, testing
}


def layer_of(module):
    """The layer of a module name: its subpackage of tgext.socketio, else ``api``."""
    if module.split('.')[0] == 'axf_ractive':
        return 'axf_ractive'
    subpackage = module[len(PACKAGE):].lstrip('.').split('.')[0]
    return subpackage if subpackage in RANKS and subpackage != 'axf_ractive' else 'api'


def modules_in(root):
    """``{module name: file path}`` of tgext.socketio and axf_ractive below ``root``."""
    found = {}
    for top in ('tgext/socketio', 'axf_ractive'):
        for folder, _, files in os.walk(os.path.join(root, top)):
            for name in files:
                if name.endswith('.py'):
                    path = os.path.join(folder, name)
                    module = os.path.relpath(path, root)[:-3].replace(os.sep, '.')
                    found[module[:-len('.__init__')] if module.endswith('.__init__')
                          else module] = path
    return found


def imports_of(module, path, modules):
    """The modules of ``modules`` that ``module`` imports, anywhere in its file."""
    package = module if path.endswith('__init__.py') else module.rpartition('.')[0]
    targets = set()
    for node in ast.walk(ast.parse(open(path, encoding='utf-8').read(), path)):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')[:len(package.split('.')) - node.level + 1]
                source = '.'.join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ''
            for alias in node.names:
                if source + '.' + alias.name in modules:
                    targets.add(source + '.' + alias.name)
                elif source in modules:
                    targets.add(source)
    targets.discard(module)
    return targets


def graph(root):
    """``{module: set of imported modules}`` of the tree at ``root``."""
    modules = modules_in(root)
    return {module: imports_of(module, path, modules) for module, path in modules.items()}


def forbidden_edges(edges):
    """``'importer -> imported (layer -> layer)'`` of each import the layers forbid."""
    found = []
    for importer, imported in sorted(edges.items()):
        for target in sorted(imported):
            source_layer, target_layer = layer_of(importer), layer_of(target)
            if source_layer != target_layer and RANKS[target_layer] >= RANKS[source_layer]:
                found.append('%s -> %s (%s -> %s)' % (importer, target, source_layer,
                                                      target_layer))
    return found


def cycles(edges):
    """Each import cycle, as the sorted list of its modules (Tarjan's strongly connected
    components of more than one module)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(edges.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def problems(root):
    """Every forbidden import and every cycle of the tree at ``root`` (empty when sound)."""
    edges = graph(root)
    return forbidden_edges(edges) + ['cycle: ' + ' <-> '.join(cycle) for cycle in cycles(edges)]
