"""Reports of a session: JSON (the durable record), Markdown and terminal summaries."""
