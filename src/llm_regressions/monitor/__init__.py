"""Production-trace evals and alerts: ``pytest --llm-monitor`` scores recorded spans
with the rules of monitors.yaml."""
