"""Testing aids for integrators: the pytest plugin (plugin.py) and the running sandbox it yields (sandbox.py)."""
