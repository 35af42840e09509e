"""Framework adapters: the only modules that import a framework."""
