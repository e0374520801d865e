"""Root-cause analysis of failing cases: reruns, input ablation, truncation, attribution."""
