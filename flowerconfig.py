"""Flower's configuration file: `celery -A workers flower` reads `flowerconfig.py` from its working
directory (the project root), after the FLOWER_* environment variables, so this file has the last
word on authentication and the listening address. Without FLOWER_BASIC_AUTH it refuses to start.
"""

import os
import sys

from shared.flower_options import flower_options
from shared.settings import ConfigError

try:
    _options = flower_options(os.environ)
except ConfigError as _error:
    sys.exit(f"flower: {_error}")

basic_auth = _options["basic_auth"]
address = _options["address"]
