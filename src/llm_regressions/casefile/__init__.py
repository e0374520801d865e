"""The case file, format version 1: the models (the contract), safe YAML with line
numbers, loading with located errors, and the published JSON Schema."""
