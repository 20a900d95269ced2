"""`make run`: the whole system on one machine, on embedded defaults.

Starts (as needed) a bundled Redis, the upstream simulators, migrations, then the processes of the
`Procfile` (the API, a worker, beat and Flower: see `devstack.procfile`), and stops them all
together on Ctrl-C.
"""
