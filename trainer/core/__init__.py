"""Domain logic with no Flask import: scenarios, the customer simulators and attempt metrics."""
