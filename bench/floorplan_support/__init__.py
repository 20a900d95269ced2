"""Helpers of `bench/floorplan.py`: static figures (ast), the module-walk tracer, the traced
Celery worker wrapper and the driver of the two traced walks.

Nothing here imports the project at module level: the walk driver and the worker wrapper run in
child processes whose PYTHONPATH is the measured checkout, so one script measures either layout.
"""
