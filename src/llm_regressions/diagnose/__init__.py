"""Root-cause analysis: why a case fails (reruns, ablation, clusters, known-good traces)."""
