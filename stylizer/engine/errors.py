"""The engine's exceptions: each message is fit to show a user as it is."""


class EngineError(Exception):
    """Base class of everything the engine raises on purpose."""


class ImageError(EngineError):
    """An image cannot be used; the message names the file and says why."""


class Cancelled(EngineError):
    """The caller asked the run to stop; raised between two optimizer steps."""

    def __init__(self, step: int, total: int):
        super().__init__(f"cancelled after step {step} of {total}")
        self.step = step
        self.total = total
