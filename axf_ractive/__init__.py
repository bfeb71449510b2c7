"""Reactive ToscaWidgets2 widgets rendered by Ractive.js and redrawn by pushed data."""
from .bindings import on_event, on_presence, on_publication, on_rows, update
from .widget import RactiveWidget

__all__ = ['RactiveWidget', 'on_event', 'on_presence', 'on_publication', 'on_rows',
           'update']
