"""What operators watch: `GET /health`, `GET /metrics` and the readings behind them."""
