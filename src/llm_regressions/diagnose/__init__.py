"""Root-cause analysis: why a case fails."""
