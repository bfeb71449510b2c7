"""Server-side first paint of a Ractive template with a Mustache renderer.

The server understands plain Mustache (variables, sections, inverted
sections, comments) plus Ractive's index references (``{{#items:i}}``).
Ractive-only expressions (``{{a + b}}``) render empty until Ractive, which
takes the server's DOM over, fills them in.
"""
import functools
import re

import chevron

_INDEX_REFERENCE = re.compile(r'\{\{\s*([#^])\s*([^}:\s]+)\s*:[^}]*\}\}')


def to_mustache(ractive_template):
    """The plain Mustache equivalent of a Ractive template."""
    return _INDEX_REFERENCE.sub(r'{{\1\2}}', ractive_template)


def render(ractive_template, data):
    """The HTML of ``ractive_template`` for ``data``, HTML-escaped as Mustache does."""
    return chevron.render(_tokens(ractive_template), data)


@functools.lru_cache(maxsize=512)
def _tokens(ractive_template):
    """The template, parsed once: a widget class renders the same one on every page."""
    return tuple(chevron.tokenizer.tokenize(to_mustache(ractive_template)))
