"""Command line: ``python -m tgext.socketio COMMAND``, one module per command family."""
import argparse

from . import history, publish, questions

#: publish (:mod:`.publish`); presence, channels, disconnect (:mod:`.questions`);
#: history (:mod:`.history`).
COMMAND_MODULES = (publish, questions, history)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tgext.socketio')
    commands = parser.add_subparsers(dest='command', required=True)
    for module in COMMAND_MODULES:
        module.add_commands(commands)
    args = parser.parse_args(argv)
    module = next(module for module in COMMAND_MODULES if args.command in module.COMMANDS)
    return module.run(args, parser)
