"""Local sandbox of DGFIP's API Management platform (provider side)."""

__version__ = "0.1.0"
