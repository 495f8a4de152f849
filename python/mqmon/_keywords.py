"""Unknown keyword arguments are refused by name, with the nearest accepted one: a misspelt option
(``window_sise=100``) must never be silently ignored."""
import functools
import inspect

from . import _mqmon


def unexpected(function, key, accepted):
    """The TypeError for keyword ``key`` that ``function`` does not take."""
    near = _mqmon.closest_name(key, list(accepted))
    hint = f" (did you mean '{near}'?)" if near else ""
    return TypeError(f"{function}() got an unexpected keyword argument '{key}'{hint}")


def checked(*extra):
    """Decorator: the function's named parameters, plus ``extra`` names its ``**options`` take, are
    the accepted keywords; any other raises ``unexpected``."""

    def wrap(func):
        params = inspect.signature(func).parameters.values()
        accepted = [p.name for p in params
                    if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"]
        accepted += extra
        name = func.__qualname__.replace(".__init__", "")

        @functools.wraps(func)
        def call(*args, **kwargs):
            for key in kwargs:
                if key not in accepted:
                    raise unexpected(name, key, accepted)
            return func(*args, **kwargs)

        return call

    return wrap
