from tests.support.s3 import s3_server, s3_settings  # noqa: F401 (fixtures)
