"""Grad modes: whether ops record the graph. no_grad, enable_grad, set_grad_enabled."""

import functools


class _State:
    enabled = True  # read by Function.apply on every op


state = _State()


def is_grad_enabled():
    return state.enabled


class _GradMode:
    """Base of the grad-mode context managers; each also works as a decorator."""

    mode = True

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc):
        state.enabled = self.prev

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class _NoParamGradMode(_GradMode):
    """A grad mode that torch also lets you use bare, as `@no_grad` without parentheses."""

    def __new__(cls, func=None):
        if func is None:
            return super().__new__(cls)
        return cls()(func)


class no_grad(_NoParamGradMode):
    """Ops inside record no graph. See torch.no_grad."""

    mode = False


class enable_grad(_NoParamGradMode):
    """Ops inside record the graph, even within no_grad. See torch.enable_grad."""

    mode = True


class inference_mode(_GradMode):
    """Like no_grad here (glasstorch has no separate inference tensors)."""

    def __init__(self, mode=True):
        if callable(mode):  # used bare as @inference_mode
            raise TypeError("use @inference_mode() with parentheses")
        self.mode = not mode


class set_grad_enabled(_GradMode):
    """Turn recording on or off; takes effect at once, and as a context manager restores."""

    def __init__(self, mode):
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self):
        pass

    def __call__(self, func):
        state.enabled = self.prev

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return func(*args, **kwargs)

        return wrapper
