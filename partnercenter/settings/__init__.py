"""Settings for development, tests and `make run`; production adds `partnercenter.settings.production`."""

from .base import *  # noqa: F401,F403
