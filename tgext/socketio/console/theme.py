"""The console's stylesheet (``static/theme.css``), a ToscaWidgets2 resource that the
console's widgets bring to their page; the examples use it too, so they look alike."""
import tw2.core as twc

theme_css = twc.CSSLink(modname=__name__.rsplit('.', 1)[0], filename='static/theme.css')
