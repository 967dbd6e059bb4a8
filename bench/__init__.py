"""Benchmarks: the synthetic CRM graph generator, the bare bulk-load baseline, timing scripts."""
