"""What the API, beat and the Sipuni workers agree on: names, the account rule and the start paths of runs."""
