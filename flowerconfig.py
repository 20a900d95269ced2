"""Flower's configuration file: `celery -A workers flower` reads `flowerconfig.py` from its working
directory (the project root), after the FLOWER_* environment variables, so this file has the last
word on authentication and the listening address. Without FLOWER_BASIC_AUTH it refuses to start.
`shared.settings.FlowerSettings` is the one home of those two variables (`make run` checks them too).
"""

import sys

from shared.settings import ConfigError, FlowerSettings

try:
    _flower = FlowerSettings.from_env()
except ConfigError as _error:
    sys.exit(f"flower: {_error}")

basic_auth = _flower.basic_auth
address = _flower.flower_address
