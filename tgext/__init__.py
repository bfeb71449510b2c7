# Namespace package shared with other TurboGears extensions (tgext.tw2, ...).
__path__ = __import__('pkgutil').extend_path(__path__, __name__)
