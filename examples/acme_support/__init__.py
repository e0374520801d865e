"""Acme support bot: a tiny example app for the README's prompt-change loop.

``prompts/triage.yaml`` is its ticket-triage prompt; ``bot.triage`` is the entry point
production calls; ``bot.build_messages`` is its prompt assembly (a render hook).
"""
