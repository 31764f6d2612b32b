"""The integrator's own test data: one model (model.py), read from YAML or JSON files (files.py), turned
into rows (rows.py) and written in one transaction (service.py, store/testdata.py)."""
