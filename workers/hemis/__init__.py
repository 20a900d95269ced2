"""The HEMIS sync: client, mapping, bulk upsert, run bookkeeping in Redis, and the Celery tasks."""
