"""JSON that is safe inside an HTML ``<script>`` element."""
import json

_UNSAFE = {'<': '\\u003c', '>': '\\u003e', '&': '\\u0026'}


def script_json(value):
    """``value`` as JSON with no ``</script>``, ``<!--``, U+2028 or U+2029 left.

    ``ensure_ascii`` escapes U+2028/U+2029; ``<``, ``>`` and ``&`` are
    escaped so that no value can close the script or open a comment.
    """
    text = json.dumps(value, ensure_ascii=True, separators=(',', ':'))
    for character, escape in _UNSAFE.items():
        text = text.replace(character, escape)
    return text
