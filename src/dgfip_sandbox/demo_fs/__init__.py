"""A demo service provider (FS): "S’identifier avec FranceConnect", then API Impôt particulier's FC route."""
