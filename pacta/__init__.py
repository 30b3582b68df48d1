"""pacta: the register and watchdog of the special agreements a company makes."""

__version__ = "0.1.0"
