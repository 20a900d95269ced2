"""Request rates shared by every worker process on every host, in Redis: fixed slots and server-announced budgets."""
