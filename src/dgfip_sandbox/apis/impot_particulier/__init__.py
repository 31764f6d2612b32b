"""API Impôt particulier (DGFIP): the SPI routes, their rules and the DataPass field filter."""
